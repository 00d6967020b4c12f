//! Pages read several at a time: the same companies, in the same order, as one at a time.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use crate::common::*;
use crate::paging::{ALL_CATEGORIES, all_companies, assert_each_once, mount_report};

/// 10,000 companies over 100 pages, read with pages in flight: one page fails once (and is
/// retried), later pages answer sooner than earlier ones (so they arrive out of order); every
/// company comes back exactly once, and the result is byte for byte that of a walk that reads
/// one page at a time.
#[tokio::test(start_paused = true)]
async fn ten_thousand_companies_read_concurrently_equal_a_sequential_walk() {
    let (server, tokens) = server(3600).await;
    let companies: Vec<Value> = (0..10_000).map(usage_company).collect();
    let failed_once = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let arrivals = Arc::new(std::sync::Mutex::new(Vec::new()));
    let arrived = Arc::clone(&arrivals);
    mount_report(&server, &tokens, move |request| {
        let (skip, take) = skip_take(request);
        arrived.lock().unwrap().push(std::time::Instant::now());
        if skip == 5_000 && !failed_once.swap(true, Ordering::SeqCst) {
            return ResponseTemplate::new(503);
        }
        let delay = std::time::Duration::from_millis(((100 - skip / 100) % 4) as u64 * 15);
        ResponseTemplate::new(200)
            .set_delay(delay)
            .set_body_json(json!({
                "companies": slice(&companies, skip, take),
                "paging": {"totalCount": 10_000}
            }))
    })
    .await;

    let concurrent = paused_client(&server).build().unwrap();
    let got = client_json(concurrent.usage_report(all_companies()).await.unwrap());
    let asked = count(&server, ALL_CATEGORIES).await;
    // Pages were on the wire together: many requests arrived within a few milliseconds of each
    // other (read one at a time, each waits for the previous answer, up to 45 ms: at most 3
    // within 25 ms).
    let times = std::mem::take(&mut *arrivals.lock().unwrap());
    let together = times
        .iter()
        .map(|t| {
            times
                .iter()
                .filter(|u| **u >= *t && u.duration_since(*t).as_millis() < 25)
                .count()
        })
        .max()
        .unwrap();
    assert!(together >= 5, "at most {together} requests within 25 ms");
    let sequential = paused_client(&server)
        .pages_in_flight(std::num::NonZeroUsize::MIN)
        .build()
        .unwrap();
    let expected = client_json(sequential.usage_report(all_companies()).await.unwrap());

    let ids: Vec<String> = serde_json::from_str::<Vec<Value>>(&got)
        .unwrap()
        .iter()
        .map(|c| c["companyId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 10_000);
    assert_each_once(&ids);
    assert_eq!(
        got, expected,
        "the concurrent walk differs from the sequential one"
    );
    // 100 full pages, the empty page after them, and the one retry.
    assert_eq!(asked, 102);
}

fn client_json(companies: Vec<usage_eset::UsageCompany>) -> String {
    serde_json::to_string(&companies).unwrap()
}
