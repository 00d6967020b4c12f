//! `companies`: each vendor's company tree.

use std::collections::HashMap;
use std::io::Write;

use futures::StreamExt;
use serde::Serialize;
use usage_bitdefender::GravityZoneClient;
use usage_core::{CompanyRole, Vendor};
use usage_eset::EsetClient;

use crate::args::Format;
use crate::collect::vendor_label;
use crate::output::guard_formula;
use crate::terminal::safe;

/// One company of a vendor tree.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CompanyRow {
    /// The vendor.
    pub(crate) vendor: Vendor,
    /// The vendor's company id.
    pub(crate) company_id: String,
    /// Its name, when known.
    pub(crate) company_name: Option<String>,
    /// The company directly above, when known (null for the API user's own company).
    pub(crate) parent_company_id: Option<String>,
    /// `msp`, `reseller` or `customer` (SPEC section 2).
    pub(crate) company_role: CompanyRole,
    /// 0 for the API user's own company, 1 for its children, and so on.
    pub(crate) depth: u32,
}

/// The ESET tree: the API user's company, then every company below it.
pub(crate) async fn eset(client: &EsetClient) -> Result<Vec<CompanyRow>, String> {
    let user = client
        .current_user()
        .await
        .map_err(|e| format!("ESET: {e}"))?;
    let root = client
        .own_company_id()
        .await
        .map_err(|e| format!("ESET: {e}"))?;
    let tree = client
        .company_tree(&root)
        .await
        .map_err(|e| format!("ESET: {e}"))?;
    let parents: HashMap<String, Option<String>> = tree
        .iter()
        .map(|c| (c.id.clone(), c.parent_id.clone()))
        .collect();
    let mut rows = vec![CompanyRow {
        vendor: Vendor::Eset,
        company_id: root.clone(),
        company_name: user.company.name.clone(),
        parent_company_id: None,
        company_role: CompanyRole::Msp,
        depth: 0,
    }];
    rows.extend(tree.iter().map(|c| CompanyRow {
        vendor: Vendor::Eset,
        company_id: c.id.clone(),
        company_name: c.name.clone(),
        parent_company_id: c.parent_id.clone(),
        company_role: CompanyRole::of_eset(false, c.entity_type),
        depth: depth(&parents, &c.id),
    }));
    Ok(rows)
}

/// How many parents separate `id` from the top of `parents` (bounded, in case of a cycle).
fn depth(parents: &HashMap<String, Option<String>>, id: &str) -> u32 {
    let mut depth = 0;
    let mut current = id;
    while let Some(Some(parent)) = parents.get(current) {
        depth += 1;
        current = parent;
        if depth > 64 {
            break;
        }
    }
    depth
}

/// The GravityZone tree, breadth first from the API key's own company.
pub(crate) async fn gravityzone(client: &GravityZoneClient) -> Result<Vec<CompanyRow>, String> {
    let mut rows = Vec::new();
    let tree = client.company_tree();
    futures::pin_mut!(tree);
    while let Some(item) = tree.next().await {
        let company = item.map_err(|e| format!("GravityZone: {e}"))?;
        rows.push(CompanyRow {
            vendor: Vendor::Bitdefender,
            company_id: company.id,
            company_name: company.name,
            company_role: CompanyRole::of_gravityzone(company.parent_id.is_none(), company.partner),
            parent_company_id: company.parent_id,
            depth: company.depth,
        });
    }
    Ok(rows)
}

/// Writes the trees in `format`.
pub(crate) fn write(
    out: &mut dyn Write,
    format: Format,
    rows: &[CompanyRow],
) -> std::io::Result<()> {
    match format {
        Format::Json => {
            let mut by_vendor: serde_json::Map<String, serde_json::Value> = serde_json::Map::new();
            for vendor in [Vendor::Eset, Vendor::Bitdefender] {
                let list: Vec<&CompanyRow> = rows.iter().filter(|r| r.vendor == vendor).collect();
                if !list.is_empty() {
                    let key = match vendor {
                        Vendor::Eset => "eset",
                        Vendor::Bitdefender => "bitdefender",
                    };
                    by_vendor.insert(key.to_string(), serde_json::to_value(list)?);
                }
            }
            serde_json::to_writer_pretty(&mut *out, &by_vendor)?;
            writeln!(out)
        }
        Format::Ndjson => {
            for row in rows {
                serde_json::to_writer(&mut *out, row)?;
                writeln!(out)?;
            }
            Ok(())
        }
        Format::Csv => {
            // Names are vendor text: guarded against spreadsheet formulas, as records are.
            let mut writer = csv::Writer::from_writer(out);
            writer.write_record([
                "vendor",
                "company_id",
                "company_name",
                "parent_company_id",
                "company_role",
                "depth",
            ])?;
            for row in rows {
                writer.write_record([
                    row.vendor.as_str().to_owned(),
                    guard_formula(&row.company_id),
                    guard_formula(row.company_name.as_deref().unwrap_or("")),
                    guard_formula(row.parent_company_id.as_deref().unwrap_or("")),
                    row.company_role.as_str().to_owned(),
                    row.depth.to_string(),
                ])?;
            }
            writer.flush()
        }
        Format::Table => {
            for vendor in [Vendor::Eset, Vendor::Bitdefender] {
                let list: Vec<&CompanyRow> = rows.iter().filter(|r| r.vendor == vendor).collect();
                if list.is_empty() {
                    continue;
                }
                writeln!(out, "{} ({} companies)", vendor_label(vendor), list.len())?;
                print_tree(out, &list)?;
            }
            Ok(())
        }
    }
}

fn print_tree(out: &mut dyn Write, rows: &[&CompanyRow]) -> std::io::Result<()> {
    let mut children: HashMap<Option<&str>, Vec<&CompanyRow>> = HashMap::new();
    for row in rows {
        children
            .entry(row.parent_company_id.as_deref())
            .or_default()
            .push(row);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| {
            (&a.company_name, &a.company_id).cmp(&(&b.company_name, &b.company_id))
        });
    }
    let ids: std::collections::HashSet<&str> = rows.iter().map(|r| r.company_id.as_str()).collect();
    // Roots: no parent, or a parent outside the list.
    let mut stack: Vec<(&CompanyRow, usize)> = rows
        .iter()
        .filter(|r| {
            r.parent_company_id
                .as_deref()
                .is_none_or(|p| !ids.contains(p))
        })
        .map(|r| (*r, 0))
        .collect();
    stack.reverse();
    while let Some((row, indent)) = stack.pop() {
        writeln!(
            out,
            "{:indent$}{}  {}  ({})",
            "",
            safe(&row.company_id),
            safe(row.company_name.as_deref().unwrap_or("(no name)")),
            row.company_role,
            indent = indent * 2 + 2
        )?;
        if let Some(kids) = children.get(&Some(row.company_id.as_str())) {
            for kid in kids.iter().rev() {
                stack.push((kid, indent + 1));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn csv_names_are_guarded_against_formulas() {
        let rows = [CompanyRow {
            vendor: Vendor::Bitdefender,
            company_id: "656b64da26f2a74de4651327".to_owned(),
            company_name: Some("=HYPERLINK(\"http://x.invalid\",\"Łąka\")".to_owned()),
            parent_company_id: None,
            company_role: CompanyRole::Customer,
            depth: 1,
        }];
        let mut out = Vec::new();
        write(&mut out, Format::Csv, &rows).unwrap();
        let mut reader = csv::Reader::from_reader(out.as_slice());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[2], "'=HYPERLINK(\"http://x.invalid\",\"Łąka\")");
        assert_eq!(&row[4], "customer");
    }
}
