//! The company tree: Company/Children, every page, breadth first.

use std::collections::HashSet;

use futures::{StreamExt as _, TryStreamExt as _};
use serde::Serialize;
use usage_models::eset::{CompanyChildrenRequest, CompanyListItem, CompanyListResponse};

use crate::client::EsetClient;
use crate::error::EsetError;
use crate::pages::{Tally, pages};
use crate::paging::Pager;
use crate::transport::Call;

/// Companies per Company/Children page (ESET's maximum).
const CHILDREN_TAKE: u8 = 100;

/// Company/Children calls in flight at once during the walk (the rate limiter still applies).
const WALK_CONCURRENCY: usize = 4;

/// Entity type of an MSP customer: the bottom of ESET's hierarchy, so never asked for children.
const MSP_CUSTOMER: i64 = 1007;

/// One company of the ESET tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct EsetCompany {
    /// The company id (ESET's `publicId`).
    pub id: String,
    /// The company name, if ESET gave one.
    pub name: Option<String>,
    /// The company directly above, whose children list held this one.
    pub parent_id: Option<String>,
    /// ESET entity type (1004 MSP Manager, 1005 MSP, 1006 Managed MSP, 1007 MSP Customer, …).
    pub entity_type: Option<i64>,
}

impl EsetClient {
    /// Every company below `root` (Company/Children, all pages, breadth first), each once,
    /// with its parent. `root` itself is not in the list. Companies of entity type 1007 (MSP
    /// customer) are the bottom of ESET's hierarchy and are not asked for children.
    pub async fn company_tree(&self, root: &str) -> Result<Vec<EsetCompany>, EsetError> {
        if root.trim().is_empty() {
            return Err(EsetError::InvalidInput(
                "the root company id of the ESET company tree is empty".to_owned(),
            ));
        }
        let mut seen: HashSet<String> = HashSet::from([root.to_owned()]);
        let mut tree = Vec::new();
        let mut level = vec![root.to_owned()];
        while !level.is_empty() {
            // Owned ids in, owned pairs out: a closure over `&String` would make this future
            // not `Send` (a higher-ranked lifetime limitation of rustc).
            let children: Vec<(String, Vec<CompanyListItem>)> =
                futures::stream::iter(std::mem::take(&mut level))
                    .map(|parent| async move {
                        let items = self.children(&parent).await?;
                        Ok::<_, EsetError>((parent, items))
                    })
                    .buffered(WALK_CONCURRENCY)
                    .try_collect()
                    .await?;
            let mut next = Vec::new();
            for (parent, items) in children {
                for item in items {
                    if item.public_id.trim().is_empty() {
                        tracing::warn!(parent = %parent, "ESET listed a child company without an id; skipped");
                        continue;
                    }
                    if !seen.insert(item.public_id.clone()) {
                        continue;
                    }
                    if item.type_ != Some(MSP_CUSTOMER) {
                        next.push(item.public_id.clone());
                    }
                    tree.push(EsetCompany {
                        id: item.public_id,
                        name: item.name,
                        parent_id: Some(parent.clone()),
                        entity_type: item.type_,
                    });
                }
            }
            level = next;
        }
        Ok(tree)
    }

    /// Every first-level child of `parent`, all pages (after the first, several at a time).
    async fn children(&self, parent: &str) -> Result<Vec<CompanyListItem>, EsetError> {
        let path = "Company/Children";
        let fetch = |skip: u64| {
            let call = Call::post(
                path,
                &CompanyChildrenRequest {
                    company_id: parent.to_owned(),
                    skip,
                    take: CHILDREN_TAKE,
                },
            );
            async move { self.call::<CompanyListResponse>(&call?).await }
        };
        let tally = |page: CompanyListResponse, pager: &mut Pager| {
            let total = page
                .paging
                .as_ref()
                .and_then(|p| p.total_count)
                .or(page.total_count);
            let len = page.companies.len();
            let fresh: Vec<CompanyListItem> = page
                .companies
                .into_iter()
                .filter(|c| pager.first_sighting(&c.public_id))
                .collect();
            Ok(Tally {
                new: fresh.len(),
                item: Some(fresh),
                len,
                total,
            })
        };
        let pager = Pager::new(path, CHILDREN_TAKE);
        let pages: Vec<Vec<CompanyListItem>> =
            pages(pager, CHILDREN_TAKE, self.pages_ahead(), fetch, tally)
                .try_collect()
                .await?;
        Ok(pages.into_iter().flatten().collect())
    }
}
