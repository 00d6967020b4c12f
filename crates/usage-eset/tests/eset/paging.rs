//! Complete paging of usage reports and of the company tree.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt as _;
use serde_json::{Value, json};
use usage_eset::{DateRange, EsetError, ReportKind, ReportScope, UsageReportRequest};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::*;

pub(crate) const ALL_CATEGORIES: &str = "/api/UsageReport/AllCompanies/categories";

pub(crate) fn all_companies() -> UsageReportRequest {
    UsageReportRequest::new(
        ReportScope::AllCompanies,
        ReportKind::Categories,
        DateRange::month(2026, 10).unwrap(),
    )
}

pub(crate) async fn mount_report<F>(server: &MockServer, tokens: &Arc<Tokens>, respond: F)
where
    F: Fn(&Request) -> ResponseTemplate + Send + Sync + 'static,
{
    Mock::given(method("POST"))
        .and(path(ALL_CATEGORIES))
        .respond_with(guarded(tokens, respond))
        .mount(server)
        .await;
}

fn ids(companies: &[usage_eset::UsageCompany]) -> Vec<String> {
    companies.iter().map(|c| c.company_id.clone()).collect()
}

pub(crate) fn assert_each_once(ids: &[String]) {
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "a company came back twice");
}

#[tokio::test(start_paused = true)]
async fn all_230_companies_come_back_each_once() {
    let (server, tokens) = server(3600).await;
    let companies = companies_230();
    let expected: Vec<String> = companies
        .iter()
        .map(|c| c["companyId"].as_str().unwrap().to_owned())
        .collect();
    mount_report(&server, &tokens, move |request| {
        let (skip, take) = skip_take(request);
        ResponseTemplate::new(200).set_body_json(json!({
            "companies": slice(&companies, skip, take),
            "paging": {"totalCount": 230}
        }))
    })
    .await;
    let client = paused_client(&server).build().unwrap();

    let got = ids(&client.usage_report(all_companies()).await.unwrap());

    assert_eq!(got.len(), 230);
    assert_each_once(&got);
    assert_eq!(got, expected);
    assert_eq!(count(&server, ALL_CATEGORIES).await, 3);
}

#[tokio::test(start_paused = true)]
async fn stream_yields_page_by_page_with_endpoint_and_skip() {
    let (server, tokens) = server(3600).await;
    let companies = companies_230();
    mount_report(&server, &tokens, move |request| {
        let (skip, take) = skip_take(request);
        ResponseTemplate::new(200).set_body_json(json!({
            "companies": slice(&companies, skip, take),
            "paging": {"totalCount": 230}
        }))
    })
    .await;
    let client = paused_client(&server).build().unwrap();

    let pages: Vec<_> = client.usage_report_pages(all_companies()).collect().await;

    let pages: Vec<_> = pages.into_iter().map(Result::unwrap).collect();
    let shape: Vec<(String, u64, usize)> = pages
        .iter()
        .map(|p| (p.endpoint.clone(), p.skip, p.response.companies.len()))
        .collect();
    let endpoint = "UsageReport/AllCompanies/categories".to_owned();
    assert_eq!(
        shape,
        vec![
            (endpoint.clone(), 0, 100),
            (endpoint.clone(), 100, 100),
            (endpoint, 200, 30)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn total_shrinking_between_pages_ends_cleanly() {
    let (server, tokens) = server(3600).await;
    let companies = companies_230();
    let calls = Arc::new(AtomicUsize::new(0));
    let seen_calls = Arc::clone(&calls);
    mount_report(&server, &tokens, move |request| {
        let (skip, take) = skip_take(request);
        // First page says 230; then companies were removed: 150 left.
        let total = if calls.fetch_add(1, Ordering::SeqCst) == 0 {
            230
        } else {
            150
        };
        let live = &companies[..total];
        ResponseTemplate::new(200).set_body_json(json!({
            "companies": slice(live, skip, take),
            "paging": {"totalCount": total}
        }))
    })
    .await;
    let client = paused_client(&server).build().unwrap();

    let got = ids(&client.usage_report(all_companies()).await.unwrap());

    assert_eq!(got.len(), 150);
    assert_each_once(&got);
    // After the first page the next two are asked at once; the second of them (skip 200) is
    // past the end and dropped, if it was sent before the walk ended.
    let calls = seen_calls.load(Ordering::SeqCst);
    assert!((2..=3).contains(&calls), "{calls} calls");
}

#[tokio::test(start_paused = true)]
async fn total_shrinking_to_below_skip_ends_on_the_empty_page() {
    let (server, tokens) = server(3600).await;
    let companies = companies_230();
    let calls = Arc::new(AtomicUsize::new(0));
    mount_report(&server, &tokens, move |request| {
        let (skip, take) = skip_take(request);
        let first = calls.fetch_add(1, Ordering::SeqCst) == 0;
        // After the first page, ESET claims a total of 230 but has only 100 left.
        let live = if first {
            &companies[..]
        } else {
            &companies[..100]
        };
        ResponseTemplate::new(200).set_body_json(json!({
            "companies": slice(live, skip, take),
            "totalCount": 230
        }))
    })
    .await;
    let client = paused_client(&server).build().unwrap();

    let got = ids(&client.usage_report(all_companies()).await.unwrap());

    assert_eq!(got.len(), 100);
    // The first page announced 230: the next two pages were asked at once (the second may not
    // have left yet when the empty one at skip 100 ended the walk).
    let calls = count(&server, ALL_CATEGORIES).await;
    assert!((2..=3).contains(&calls), "{calls} calls");
}

#[tokio::test(start_paused = true)]
async fn companies_shifted_onto_the_next_page_are_not_repeated() {
    let (server, tokens) = server(3600).await;
    let companies = companies_230();
    let calls = Arc::new(AtomicUsize::new(0));
    mount_report(&server, &tokens, move |request| {
        let (skip, take) = skip_take(request);
        // After the first page, 5 companies were added at the front (total grows to 235):
        // the last 5 of page one show up again at the start of page two.
        let mut live: Vec<Value> = Vec::new();
        if calls.fetch_add(1, Ordering::SeqCst) > 0 {
            live.extend((1000..1005).map(usage_company));
        }
        live.extend(companies.iter().cloned());
        let total = live.len();
        ResponseTemplate::new(200).set_body_json(json!({
            "companies": slice(&live, skip, take),
            "paging": {"totalCount": total}
        }))
    })
    .await;
    let client = paused_client(&server).build().unwrap();

    let got = ids(&client.usage_report(all_companies()).await.unwrap());

    assert_each_once(&got);
    assert_eq!(got.len(), 230);
    assert_eq!(count(&server, ALL_CATEGORIES).await, 3);
}

#[tokio::test(start_paused = true)]
async fn without_a_total_paging_stops_at_the_short_page() {
    let (server, tokens) = server(3600).await;
    let companies = companies_230();
    mount_report(&server, &tokens, move |request| {
        let (skip, take) = skip_take(request);
        ResponseTemplate::new(200)
            .set_body_json(json!({"companies": slice(&companies, skip, take)}))
    })
    .await;
    let client = paused_client(&server).build().unwrap();

    let got = ids(&client.usage_report(all_companies()).await.unwrap());

    assert_eq!(got.len(), 230);
    assert_each_once(&got);
    assert_eq!(count(&server, ALL_CATEGORIES).await, 3);
}

#[tokio::test(start_paused = true)]
async fn a_server_that_ignores_skip_does_not_loop_forever() {
    let (server, tokens) = server(3600).await;
    let companies = companies_230();
    mount_report(&server, &tokens, move |_| {
        ResponseTemplate::new(200).set_body_json(json!({
            "companies": slice(&companies, 0, 100),
            "paging": {"totalCount": 100000}
        }))
    })
    .await;
    let client = paused_client(&server).build().unwrap();

    let got = ids(&client.usage_report(all_companies()).await.unwrap());

    assert_eq!(got.len(), 100);
    // Skips 100 and 200 were asked at once (the second may not have left yet); the page at
    // 100 brought nothing new and ended the walk.
    let calls = count(&server, ALL_CATEGORIES).await;
    assert!((2..=3).contains(&calls), "{calls} calls");
}

#[tokio::test(start_paused = true)]
async fn a_total_that_keeps_growing_is_capped_with_an_error() {
    let (server, tokens) = server(3600).await;
    let calls = Arc::new(AtomicUsize::new(0));
    mount_report(&server, &tokens, move |request| {
        let (skip, take) = skip_take(request);
        let n = calls.fetch_add(1, Ordering::SeqCst);
        let page: Vec<Value> = (skip..skip + take).map(usage_company).collect();
        // Always one more page than there was.
        ResponseTemplate::new(200).set_body_json(json!({
            "companies": page,
            "paging": {"totalCount": (n + 2) * take}
        }))
    })
    .await;
    let client = paused_client(&server).build().unwrap();
    let mut request = all_companies();
    request.take = 10;

    let error = client.usage_report(request).await.unwrap_err();

    // The first total (20) called for 2 pages: at most 2 * 2 + 2 are read, then the walk
    // stops with an error (never silently, with what it had); one more page may have been
    // asked ahead, and is dropped unread.
    let calls = count(&server, ALL_CATEGORIES).await;
    assert!((6..=7).contains(&calls), "{calls} calls");
    assert!(
        matches!(
            error,
            EsetError::EndlessPaging {
                pages: 6,
                companies: 60,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("incomplete"), "{error}");
}

/// ESET documents `totalCount` both as the number of companies and as the number of data
/// segments: a total of 0, or one equal to the first page's length, never ends a walk whose
/// pages are full. The tree and the report both read on until a short page.
#[tokio::test(start_paused = true)]
async fn a_total_that_lies_low_does_not_stop_full_pages() {
    for stated in [0usize, 100, 2] {
        let (server, tokens) = server(3600).await;
        mount_report(&server, &tokens, move |request| {
            let (skip, take) = skip_take(request);
            let end = (skip + take).min(250);
            let page: Vec<Value> = (skip..end).map(usage_company).collect();
            ResponseTemplate::new(200).set_body_json(json!({
                "companies": page,
                "paging": {"totalCount": stated}
            }))
        })
        .await;
        let client = paused_client(&server).build().unwrap();

        let got = ids(&client.usage_report(all_companies()).await.unwrap());

        assert_each_once(&got);
        assert_eq!(got.len(), 250, "totalCount {stated}");
        assert_eq!(
            count(&server, ALL_CATEGORIES).await,
            3,
            "totalCount {stated}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn take_outside_1_to_100_is_refused_before_any_request() {
    let (server, _tokens) = server(3600).await;
    let client = paused_client(&server).build().unwrap();
    for take in [0u8, 101, 255] {
        let mut request = all_companies();
        request.take = take;
        let error = client.usage_report(request).await.unwrap_err();
        assert!(
            matches!(&error, EsetError::InvalidInput(m) if m.contains("take")),
            "{error:?}"
        );
        let mut stream = Box::pin(client.usage_report_pages({
            let mut r = all_companies();
            r.take = take;
            r
        }));
        assert!(matches!(
            stream.next().await,
            Some(Err(EsetError::InvalidInput(_)))
        ));
        assert!(stream.next().await.is_none());
    }
    let empty = UsageReportRequest::new(
        ReportScope::SelectedCompanies(vec![]),
        ReportKind::Products,
        DateRange::month(2026, 10).unwrap(),
    );
    assert!(matches!(
        client.usage_report(empty).await,
        Err(EsetError::InvalidInput(_))
    ));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn all_eight_endpoints_are_called_with_their_bodies() {
    let (server, tokens) = server(3600).await;
    for scope in ["AllCompanies", "SelectedCompanies", "Monthly", "Daily"] {
        for kind in ["categories", "products"] {
            let fixture_body = json!({
                "companies": [usage_company(1)],
                "paging": {"totalCount": 1}
            });
            Mock::given(method("POST"))
                .and(path(format!("/api/UsageReport/{scope}/{kind}")))
                .respond_with(guarded(&tokens, move |_| {
                    ResponseTemplate::new(200).set_body_json(fixture_body.clone())
                }))
                .mount(&server)
                .await;
        }
    }
    let client = paused_client(&server).build().unwrap();
    let period = DateRange::month(2026, 10).unwrap();
    let scopes = [
        ReportScope::AllCompanies,
        ReportScope::SelectedCompanies(vec!["c-1".into(), "c-2".into()]),
        ReportScope::Monthly {
            company_id: "c-1".into(),
            codes: vec!["111".into()],
        },
        ReportScope::Daily {
            company_id: "c-1".into(),
            codes: vec!["ENDPOINT".into()],
        },
    ];
    for scope in scopes {
        for kind in [ReportKind::Categories, ReportKind::Products] {
            let got = client
                .usage_report(UsageReportRequest::new(scope.clone(), kind, period))
                .await
                .unwrap();
            assert_eq!(got.len(), 1);
        }
    }

    let requests = server.received_requests().await.unwrap();
    let reports: Vec<(String, Value)> = requests
        .iter()
        .filter(|r| r.url.path().starts_with("/api/UsageReport/"))
        .map(|r| (r.url.path().to_owned(), r.body_json().unwrap()))
        .collect();
    assert_eq!(reports.len(), 8);
    for (path, body) in &reports {
        assert_eq!(body["from"], "2026-10-01", "{path}");
        assert_eq!(body["to"], "2026-10-31", "{path}");
        assert_eq!(body["skip"], 0, "{path}");
        assert_eq!(body["take"], 100, "{path}");
    }
    let body_of = |p: &str| &reports.iter().find(|(path, _)| path == p).unwrap().1;
    assert_eq!(
        body_of("/api/UsageReport/SelectedCompanies/products")["companyIds"],
        json!(["c-1", "c-2"])
    );
    assert_eq!(
        body_of("/api/UsageReport/Monthly/products")["codes"],
        json!(["111"])
    );
    assert_eq!(
        body_of("/api/UsageReport/Daily/categories")["categories"],
        json!(["ENDPOINT"])
    );
    assert_eq!(
        body_of("/api/UsageReport/Daily/categories")["companyId"],
        "c-1"
    );
}

/// A company-tree node as Company/Children lists it.
fn child(id: &str, kind: i64) -> Value {
    json!({"publicId": id, "name": format!("Company {id}"), "type": kind, "status": 1})
}

#[tokio::test(start_paused = true)]
async fn company_tree_is_walked_breadth_first_each_company_once() {
    let (server, tokens) = server(3600).await;
    // root -> 230 children (3 pages): msp-0..msp-2 are MSPs, the rest customers.
    // msp-0 -> c-a, c-b; msp-1 -> c-b (listed twice), msp-1a (a managed MSP) -> c-c.
    let mut root_children: Vec<Value> = (0..3).map(|i| child(&format!("msp-{i}"), 1005)).collect();
    root_children.extend((3..230).map(|i| child(&format!("cust-{i}"), 1007)));
    let tree = move |parent: &str| -> Vec<Value> {
        match parent {
            "root" => root_children.clone(),
            "msp-0" => vec![child("c-a", 1007), child("c-b", 1007)],
            "msp-1" => vec![child("c-b", 1007), child("msp-1a", 1006)],
            "msp-1a" => vec![child("c-c", 1007), child("root", 1005)],
            _ => vec![],
        }
    };
    Mock::given(method("POST"))
        .and(path("/api/Company/Children"))
        .respond_with(guarded(&tokens, move |request| {
            let body: Value = request.body_json().unwrap();
            let (skip, take) = skip_take(request);
            let all = tree(body["companyId"].as_str().unwrap());
            ResponseTemplate::new(200).set_body_json(json!({"companies": slice(&all, skip, take)}))
        }))
        .mount(&server)
        .await;
    let client = paused_client(&server).build().unwrap();

    let got = client.company_tree("root").await.unwrap();

    let ids: Vec<&str> = got.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), 230 + 4, "{ids:?}");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
    assert_eq!(&ids[..3], ["msp-0", "msp-1", "msp-2"]);
    assert_eq!(&ids[230..], ["c-a", "c-b", "msp-1a", "c-c"]);
    let parent = |id: &str| got.iter().find(|c| c.id == id).unwrap().parent_id.clone();
    assert_eq!(parent("msp-0").as_deref(), Some("root"));
    assert_eq!(parent("c-b").as_deref(), Some("msp-0"));
    assert_eq!(parent("c-c").as_deref(), Some("msp-1a"));
    assert_eq!(got[0].entity_type, Some(1005));
    assert_eq!(got[0].name.as_deref(), Some("Company msp-0"));
    // root: 3 pages; msp-0, msp-1, msp-2, msp-1a: 1 each; customers are never asked.
    assert_eq!(count(&server, "/api/Company/Children").await, 7);
}

#[tokio::test(start_paused = true)]
async fn company_children_fixture_is_read() {
    let Some(fixture) = fixture("company-children.json") else {
        return;
    };
    let (server, tokens) = server(3600).await;
    let expected = fixture["companies"].as_array().unwrap().len();
    Mock::given(method("POST"))
        .and(path("/api/Company/Children"))
        .respond_with(guarded(&tokens, move |request| {
            let body: Value = request.body_json().unwrap();
            if body["companyId"] == "root" {
                ResponseTemplate::new(200).set_body_json(fixture.clone())
            } else {
                ResponseTemplate::new(200).set_body_json(json!({"companies": []}))
            }
        }))
        .mount(&server)
        .await;
    let client = paused_client(&server).build().unwrap();

    let got = client.company_tree("root").await.unwrap();

    assert_eq!(got.len(), expected);
    assert!(got.iter().all(|c| c.parent_id.as_deref() == Some("root")));
}

/// The CLI spawns these futures on a multi-threaded runtime: they must be `Send`.
#[test]
fn futures_and_streams_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let client = usage_eset::EsetClient::builder(USERNAME, PASSWORD.into())
        .build()
        .unwrap();
    assert_send(&client.current_user());
    assert_send(&client.own_company_id());
    assert_send(&client.company_tree("root"));
    assert_send(&client.usage_report(all_companies()));
    assert_send(&client.usage_report_pages(all_companies()));
    fn assert_sync<T: Send + Sync + Clone + 'static>(_: &T) {}
    assert_sync(&client);
}

/// The company tree reads on past a `totalCount` of 0 or of one page: 150 children under the
/// root, pages of 100 whose total lies, all 150 come back.
#[tokio::test(start_paused = true)]
async fn the_tree_reads_on_past_a_total_that_lies_low() {
    for stated in [0usize, 100] {
        let (server, tokens) = server(3600).await;
        Mock::given(method("POST"))
            .and(path("/api/Company/Children"))
            .respond_with(guarded(&tokens, move |request| {
                let body: Value = request.body_json().unwrap();
                let (skip, take) = skip_take(request);
                let children: Vec<Value> = if body["companyId"] == "root" {
                    (skip..(skip + take).min(150))
                        .map(|n| json!({"publicId": format!("c-{n:03}"), "name": format!("Customer {n}"), "type": 1007}))
                        .collect()
                } else {
                    Vec::new()
                };
                ResponseTemplate::new(200)
                    .set_body_json(json!({"companies": children, "paging": {"totalCount": stated}}))
            }))
            .mount(&server)
            .await;
        let client = paused_client(&server).build().unwrap();

        let tree = client.company_tree("root").await.unwrap();

        let ids: HashSet<&str> = tree.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(tree.len(), 150, "totalCount {stated}");
        assert_eq!(ids.len(), 150, "totalCount {stated}");
    }
}
