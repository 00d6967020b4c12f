//! End to end: `collect` on a terminal (a pseudo-terminal as standard output) shows the company
//! view: one row per company and vendor, sorted by name, fitted to the terminal's width and never
//! wider than 120 columns; `--format table --detail` keeps one row per record.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Read;
use std::process::Stdio;

use common::{MONTH, command};
use nix::pty::{Winsize, openpty};
use usage_sandbox::{Dataset, SandboxConfig};

/// Runs `collect --sandbox` with standard output on a pseudo-terminal `columns` wide; returns
/// the exit status and what the terminal showed (line ends as `\n`).
fn on_terminal(columns: u16, extra: &[&str]) -> (i32, String) {
    let home = tempfile::tempdir().unwrap();
    let size = Winsize {
        ws_row: 50,
        ws_col: columns,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = openpty(&size, None).unwrap();
    let mut args = vec!["collect", "--sandbox", "--month", MONTH];
    args.extend_from_slice(extra);
    let mut child = command(home.path(), &args, &[])
        .stdin(Stdio::null())
        .stdout(Stdio::from(pty.slave))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut shown = Vec::new();
    let mut master = std::fs::File::from(pty.master);
    // Linux reports the end of a terminal whose other side closed as EIO.
    match master.read_to_end(&mut shown) {
        Ok(_) => {}
        Err(e) if e.raw_os_error() == Some(5) => {}
        Err(e) => panic!("reading the terminal: {e}"),
    }
    let code = child.wait().unwrap().code().unwrap_or(-1);
    (code, String::from_utf8_lossy(&shown).replace("\r\n", "\n"))
}

/// Display columns of a line (a CJK character takes two).
fn columns(line: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(line)
}

#[test]
fn the_terminal_view_has_one_row_per_company_by_name_and_fits_120_columns() {
    let (code, shown) = on_terminal(200, &[]);
    assert_eq!(code, 0, "{shown}");
    let widest = shown.lines().map(columns).max().unwrap();
    assert!(widest <= 120, "{widest} columns:\n{shown}");

    // A customer kept in a GravityZone company folder is found by name, on one row with its
    // vendor, role and id.
    let data = Dataset::new(SandboxConfig::default().seed);
    let customer = data
        .gravityzone_companies()
        .iter()
        .find(|c| c.folder_id.is_some() && c.company_type == 1)
        .unwrap();
    let rows: Vec<&str> = shown
        .lines()
        .filter(|l| l.contains(&format!("│ {} ", customer.name)))
        .collect();
    let row = rows
        .iter()
        .find(|l| l.contains("GravityZone"))
        .unwrap_or_else(|| panic!("no row for {}:\n{shown}", customer.name));
    assert!(row.contains("customer"), "{row}");
    let next = shown.lines().skip_while(|l| l != row).nth(1).unwrap();
    assert!(next.contains(&customer.id), "the id under the name: {next}");

    // One row per company and vendor: 200 companies with records, each named once per vendor.
    let named = shown
        .lines()
        .filter(|l| l.contains("┆ ESET ") || l.contains("┆ GravityZone "))
        .count();
    assert_eq!(named, 200);

    // Sorted by name as a reader looks it up: accents and scripts do not move a name to the
    // end ("Ångström" with the A's, "Αθηνά" too).
    let names: Vec<(String, String)> = shown
        .lines()
        .filter(|l| l.contains("┆ ESET ") || l.contains("┆ GravityZone "))
        .map(|l| {
            let name = l.trim_start_matches('│').split('┆').next().unwrap().trim();
            (deunicode::deunicode(name).to_lowercase(), name.to_owned())
        })
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(shown.contains("Totals"));
}

#[test]
fn a_narrow_terminal_gets_a_narrow_view_and_detail_keeps_one_row_per_record() {
    let (code, shown) = on_terminal(90, &["--vendor", "eset"]);
    assert_eq!(code, 0, "{shown}");
    let table: Vec<&str> = shown
        .lines()
        .filter(|l| l.starts_with(['│', '┌', '└', '╞', '├']))
        .collect();
    assert!(table.len() > 150);
    assert!(table.iter().all(|l| columns(l) <= 90), "{shown}");

    let (code, detail) = on_terminal(200, &["--vendor", "eset", "--format", "table", "--detail"]);
    assert_eq!(code, 0, "{detail}");
    assert!(detail.contains("Seat-days"), "the per-record table");
    assert!(!shown.contains("Seat-days"));
}
