//! The walk of the whole company tree.

use std::collections::{HashSet, VecDeque};

use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{Stream, StreamExt};
use usage_models::bitdefender::CompanyListEntry;

use crate::{GravityZoneClient, GravityZoneError};

/// One company of the tree under the API key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GzCompany {
    /// The vendor's company id (24 hex digits in practice; kept opaque).
    pub id: String,
    /// The company name, when the vendor sent one.
    pub name: Option<String>,
    /// The company directly above; `None` for the API key's own company.
    pub parent_id: Option<String>,
    /// 0 for the API key's own company, 1 for its children, and so on.
    pub depth: u32,
}

impl GravityZoneClient {
    /// The whole tree, breadth first, as a stream: first the API key's own company
    /// (`companies.getCompanyDetails` without an id; `parent_id` `None`, depth 0), then the
    /// children of each company in turn (`network.getCompaniesList` with its id), each company
    /// once.
    ///
    /// Only partner companies are listed (each with `getCompaniesList` twice: all children,
    /// and with `filters.companyType` 0 the partners among them); a customer company has no
    /// children and is not asked (it would answer -32602). A partner whose children cannot be
    /// listed (-32602 included) is yielded as an `Err` item naming it, and the walk goes on
    /// with the other branches; if the key's own company cannot be read, or the key is
    /// refused, the walk ends after that error.
    ///
    /// Companies are yielded as soon as their parent's list arrives, so a caller can fetch usage
    /// while the walk goes on.
    pub fn company_tree(
        &self,
    ) -> impl Stream<Item = Result<GzCompany, GravityZoneError>> + Send + '_ {
        futures::stream::unfold(TreeWalk::new(self), |mut walk| async move {
            let item = walk.next().await?;
            Some((item, walk))
        })
    }
}

/// How many getCompaniesList calls a walk keeps on the wire (its limiter still paces them).
const LISTINGS_IN_FLIGHT: usize = 8;

/// The answer to one parent's listing: its children, and which of them are partners.
type ListingAnswer = Result<(Vec<CompanyListEntry>, HashSet<String>), GravityZoneError>;

/// A finished listing: the parent, its depth and the answer.
type Listing = (String, u32, ListingAnswer);

/// The state of a walk.
struct TreeWalk<'a> {
    client: &'a GravityZoneClient,
    /// Whether the key's own company was asked for.
    started: bool,
    /// Set after a failure that ends the walk.
    stopped: bool,
    /// Companies whose children are still to be listed: (id, depth).
    to_list: VecDeque<(String, u32)>,
    /// getCompaniesList calls on the wire: (parent, depth, answer).
    in_flight: FuturesUnordered<BoxFuture<'a, Listing>>,
    /// Items found but not yet yielded.
    ready: VecDeque<Result<GzCompany, GravityZoneError>>,
    /// Every company id yielded so far.
    seen: HashSet<String>,
}

impl<'a> TreeWalk<'a> {
    fn new(client: &'a GravityZoneClient) -> Self {
        Self {
            client,
            started: false,
            stopped: false,
            to_list: VecDeque::new(),
            in_flight: FuturesUnordered::new(),
            ready: VecDeque::new(),
            seen: HashSet::new(),
        }
    }

    /// The next item, fetching as little as needed to produce it.
    async fn next(&mut self) -> Option<Result<GzCompany, GravityZoneError>> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if self.stopped {
                return None;
            }
            if !self.started {
                self.started = true;
                self.root().await;
                continue;
            }
            // Keep several listings on the wire: with latency, one at a time would make the
            // walk (not the licensing limiter) the slowest part of a collection.
            while self.in_flight.len() < LISTINGS_IN_FLIGHT {
                let Some((parent, depth)) = self.to_list.pop_front() else {
                    break;
                };
                let client = self.client;
                self.in_flight.push(Box::pin(async move {
                    // Every child, and the partners among them: only partners are listed in
                    // turn (a customer has no children), and a partner whose children cannot
                    // be listed is an error, never an empty branch.
                    let (all, partners) = futures::join!(
                        client.companies_list(Some(&parent)),
                        client.partner_children(Some(&parent))
                    );
                    let answer = all.and_then(|all| {
                        let partners = partners?.into_iter().map(|p| p.id).collect();
                        Ok((all, partners))
                    });
                    (parent, depth, answer)
                }));
            }
            let (parent, depth, answer) = self.in_flight.next().await?;
            self.children(parent, depth, answer);
        }
    }

    /// The API key's own company.
    async fn root(&mut self) {
        match self.client.company_details(None).await {
            Ok(details) => match details.id {
                Some(id) if !id.is_empty() => {
                    self.seen.insert(id.clone());
                    // A key of a customer company (type 1) has nothing below it.
                    if details.type_ != Some(1) {
                        self.to_list.push_back((id.clone(), 0));
                    }
                    self.ready.push_back(Ok(GzCompany {
                        id,
                        name: details.name,
                        parent_id: None,
                        depth: 0,
                    }));
                }
                _ => {
                    self.stopped = true;
                    self.ready.push_back(Err(GravityZoneError::Decode {
                        method: "companies.getCompanyDetails",
                        company: None,
                        status: 200,
                        path: "result.id".to_string(),
                        reason: "the API key's own company came without an id".to_string(),
                        snippet: "(not kept)".to_string(),
                    }));
                }
            },
            Err(error) => {
                self.stopped = true;
                self.ready.push_back(Err(error));
            }
        }
    }

    /// The children of `parent` from its listing, queued to be listed in turn.
    fn children(&mut self, parent: String, depth: u32, answer: ListingAnswer) {
        match answer {
            Ok((children, partners)) => {
                for child in children {
                    if !self.seen.insert(child.id.clone()) {
                        tracing::debug!(
                            company = %child.id,
                            parent = %parent,
                            "company listed twice in the GravityZone tree; keeping the first"
                        );
                        continue;
                    }
                    if partners.contains(&child.id) {
                        self.to_list.push_back((child.id.clone(), depth + 1));
                    }
                    self.ready.push_back(Ok(GzCompany {
                        id: child.id,
                        name: child.name,
                        parent_id: Some(parent.clone()),
                        depth: depth + 1,
                    }));
                }
            }
            Err(error) => {
                if error.is_auth() {
                    self.stopped = true;
                }
                self.ready.push_back(Err(error));
            }
        }
    }
}
