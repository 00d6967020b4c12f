//! The ESET company listings: `Company/Children` and `Company/Descendants`, paged from the
//! dataset's indexes.

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::eset_api::{bad_request, object, paging, string};
use crate::reply::Reply;
use crate::server::AppState;

#[derive(Serialize)]
struct CompanyItem<'a> {
    #[serde(rename = "publicId")]
    public_id: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    entity_type: i64,
    email: &'a str,
    status: i64,
}

#[derive(Serialize)]
struct CompanyList<'a> {
    companies: Vec<CompanyItem<'a>>,
}

/// The entity type filter of Company/Descendants: `None` for any.
fn entity_type(map: &Map<String, Value>) -> Result<Option<i64>, Reply> {
    let text = match map.get("entityType") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => return Err(bad_request("entityType must be a string such as \"Any\".")),
    };
    let code = match text.to_ascii_lowercase().as_str() {
        "any" => return Ok(None),
        "esetheadquarters" | "headquarters" | "1001" => 1001,
        "distributor" | "1002" => 1002,
        "division" | "1003" => 1003,
        "mspmanager" | "1004" => 1004,
        "msp" | "1005" => 1005,
        "managedmsp" | "1006" => 1006,
        "mspcustomer" | "customer" | "managedbymsp" | "1007" => 1007,
        _ => {
            return Err(bad_request(&format!(
                "entityType '{text}' is not valid: use Any or an EntityTypes name or code (1001-1007)."
            )));
        }
    };
    Ok(Some(code))
}

/// Answers Company/Children (`descendants` false) or Company/Descendants.
pub(crate) fn company_list(state: &AppState, body: &[u8], descendants: bool) -> Reply {
    let map = match object(body) {
        Ok(map) => map,
        Err(reply) => return reply,
    };
    let parsed = string(&map, "companyId").and_then(|id| {
        let (skip, take) = paging(&map)?;
        let kind = if descendants {
            entity_type(&map)?
        } else {
            None
        };
        Ok((id.to_ascii_lowercase(), skip, take, kind))
    });
    let (company_id, skip, take, kind) = match parsed {
        Ok(parsed) => parsed,
        Err(reply) => return reply,
    };
    let dataset = &state.dataset;
    // Indexed lists: a page costs the same whatever the size of the tree.
    let positions = if descendants {
        dataset.eset_descendant_positions(&company_id, kind)
    } else {
        dataset.eset_child_positions(&company_id)
    };
    let page = positions.get(skip..).unwrap_or_default();
    let companies = dataset
        .eset_at(page.get(..take).unwrap_or(page))
        .map(|c| CompanyItem {
            public_id: &c.id,
            name: &c.name,
            entity_type: c.entity_type,
            email: &c.email,
            status: 1,
        })
        .collect();
    Reply::json(StatusCode::OK, &CompanyList { companies })
}
