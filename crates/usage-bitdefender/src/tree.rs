//! The walk of the whole company tree.

use std::collections::{HashSet, VecDeque};

use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{Stream, StreamExt};
use usage_models::bitdefender::{CompanyFolderEntry, CompanyListEntry};

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
    /// 0 for the API key's own company, 1 for its children, and so on (company folders do not
    /// count: a company in a folder is one level below the company above the folder).
    pub depth: u32,
    /// True for a partner company (one that can have companies below it), and for the API
    /// key's own company unless it is a customer company.
    pub partner: bool,
}

impl GravityZoneClient {
    /// The whole tree, breadth first, as a stream: first the API key's own company
    /// (`companies.getCompanyDetails` without an id; `parent_id` `None`, depth 0), then the
    /// children of each company in turn (`network.getCompaniesList` with its id), each company
    /// once.
    ///
    /// Only partner companies are listed (each with `getCompaniesList` twice: all children,
    /// and with `filters.companyType` 0 the partners among them; and with
    /// `network.getCompanyFoldersList`); a customer company has no children and is not asked
    /// (it would answer -32602). Company folders are listed the same way, at any depth; a
    /// folder is never a company, and a company inside one has the company above the folder
    /// as its parent. A partner whose children cannot be listed (-32602 included) is yielded
    /// as an `Err` item naming it, a folder as [`GravityZoneError::FolderUnreadable`], and the
    /// walk goes on with the other branches; if the key's own company cannot be read, or the
    /// key is refused, the walk ends after that error.
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

/// What is inside one company or folder: its companies, which of them are partners, and its
/// folders.
struct Contents {
    companies: Vec<CompanyListEntry>,
    partners: HashSet<String>,
    folders: Vec<CompanyFolderEntry>,
}

/// A company or company folder whose contents are still to be listed.
struct Node {
    /// The id given as `parentId`: the company's, or the folder's.
    list_id: String,
    /// The company the contents belong to: `list_id` itself, or the company above the folder.
    owner: String,
    /// The owner's depth.
    depth: u32,
    /// For a folder: its name, when the vendor sent one.
    folder: Option<Option<String>>,
}

/// A finished listing: the node and what it holds.
type Listing = (Node, Result<Contents, GravityZoneError>);

/// The state of a walk.
struct TreeWalk<'a> {
    client: &'a GravityZoneClient,
    /// Whether the key's own company was asked for.
    started: bool,
    /// Set after a failure that ends the walk.
    stopped: bool,
    /// Companies and folders whose contents are still to be listed.
    to_list: VecDeque<Node>,
    /// Listings on the wire.
    in_flight: FuturesUnordered<BoxFuture<'a, Listing>>,
    /// Items found but not yet yielded.
    ready: VecDeque<Result<GzCompany, GravityZoneError>>,
    /// Every company id yielded so far.
    seen: HashSet<String>,
    /// Every folder id listed so far (a folder answered twice, or inside itself, is listed
    /// once).
    folders: HashSet<String>,
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
            folders: HashSet::new(),
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
                let Some(node) = self.to_list.pop_front() else {
                    break;
                };
                let client = self.client;
                self.in_flight.push(Box::pin(async move {
                    let answer = contents(client, &node.list_id).await;
                    (node, answer)
                }));
            }
            let (node, answer) = self.in_flight.next().await?;
            self.children(node, answer);
        }
    }

    /// The API key's own company.
    async fn root(&mut self) {
        match self.client.company_details(None).await {
            Ok(details) => match details.id {
                Some(id) if !id.is_empty() => {
                    self.seen.insert(id.clone());
                    // A key of a customer company (type 1) has nothing below it.
                    let partner = details.type_ != Some(1);
                    if partner {
                        self.to_list.push_back(Node {
                            list_id: id.clone(),
                            owner: id.clone(),
                            depth: 0,
                            folder: None,
                        });
                    }
                    self.ready.push_back(Ok(GzCompany {
                        id,
                        name: details.name,
                        parent_id: None,
                        depth: 0,
                        partner,
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

    /// The companies and folders of a node from its listing, partners and folders queued to be
    /// listed in turn.
    fn children(&mut self, node: Node, answer: Result<Contents, GravityZoneError>) {
        let contents = match answer {
            Ok(contents) => contents,
            Err(error) => {
                if error.is_auth() {
                    self.stopped = true;
                }
                self.ready.push_back(Err(match node.folder {
                    Some(name) => GravityZoneError::FolderUnreadable {
                        folder: node.list_id,
                        name,
                        owner: node.owner,
                        error: Box::new(error),
                    },
                    None => error,
                }));
                return;
            }
        };
        for child in contents.companies {
            if !self.seen.insert(child.id.clone()) {
                tracing::debug!(
                    company = %child.id,
                    parent = %node.owner,
                    "company listed twice in the GravityZone tree; keeping the first"
                );
                continue;
            }
            let partner = contents.partners.contains(&child.id);
            if partner {
                self.to_list.push_back(Node {
                    list_id: child.id.clone(),
                    owner: child.id.clone(),
                    depth: node.depth + 1,
                    folder: None,
                });
            }
            self.ready.push_back(Ok(GzCompany {
                id: child.id,
                name: child.name,
                parent_id: Some(node.owner.clone()),
                depth: node.depth + 1,
                partner,
            }));
        }
        for folder in contents.folders {
            if self.seen.contains(&folder.id) || !self.folders.insert(folder.id.clone()) {
                continue;
            }
            self.to_list.push_back(Node {
                list_id: folder.id,
                owner: node.owner.clone(),
                depth: node.depth,
                folder: Some(folder.name),
            });
        }
    }
}

/// Everything directly inside a company or folder: every company, the partners among them (only
/// partners are listed in turn: a customer has no children), and the folders. Any of the three
/// failing fails the listing: a part of the tree that cannot be read is an error, never an empty
/// branch.
async fn contents(client: &GravityZoneClient, list_id: &str) -> Result<Contents, GravityZoneError> {
    let (companies, partners, folders) = futures::join!(
        client.companies_list(Some(list_id)),
        client.partner_children(Some(list_id)),
        client.company_folders(Some(list_id))
    );
    Ok(Contents {
        companies: companies?,
        partners: partners?.into_iter().map(|p| p.id).collect(),
        folders: folders?,
    })
}
