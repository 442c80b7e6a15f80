//! CloudTrail's LookupEvents over the JSON 1.1 protocol (`X-Amz-Target:
//! com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`), as the CloudTrail
//! API reference documents it: at most one lookup attribute, a time range, `MaxResults`
//! from 1 to 50 (default 50), `NextToken` paging; events newest first.

use crate::app::App;
use crate::error::Error;
use portcullis_store::{EventAttribute, EventQuery, StoredEvent};
use serde_json::{Value, json};

/// The `X-Amz-Target` prefix of CloudTrail's operations.
pub(crate) const TARGET_PREFIX: &str = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.";

/// The content type of the JSON 1.1 protocol.
pub(crate) const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

fn invalid(code: &'static str, message: impl Into<String>) -> Error {
    Error::of_service(code, message)
}

/// A lookup attribute key, as LookupEvents names it.
pub fn attribute(key: &str) -> Option<EventAttribute> {
    Some(match key {
        "EventId" => EventAttribute::EventId,
        "EventName" => EventAttribute::EventName,
        "ReadOnly" => EventAttribute::ReadOnly,
        "Username" => EventAttribute::Username,
        "ResourceType" => EventAttribute::ResourceType,
        "ResourceName" => EventAttribute::ResourceName,
        "EventSource" => EventAttribute::EventSource,
        "AccessKeyId" => EventAttribute::AccessKeyId,
        _ => return None,
    })
}

/// A JSON 1.1 timestamp: epoch seconds (possibly fractional), or ISO 8601 text.
fn timestamp(v: &Value, member: &str) -> Result<i64, Error> {
    let millis = match v {
        Value::Number(n) => n.as_f64().map(|s| (s * 1000.0) as i64),
        Value::String(s) => portcullis_policy::condition::parse_date(s)
            .map(|ns| i64::try_from(ns / 1_000_000).unwrap_or(i64::MAX)),
        _ => None,
    };
    millis.ok_or_else(|| {
        invalid(
            "SerializationException",
            format!("{member} is not a timestamp"),
        )
    })
}

/// Answers LookupEvents for the account of `app`.
pub(crate) async fn lookup_events(app: &App, input: &Value) -> Result<Value, Error> {
    let mut query = EventQuery {
        account: app.account_id().to_string(),
        limit: 50,
        ..EventQuery::default()
    };
    if let Some(list) = input.get("LookupAttributes").filter(|v| !v.is_null()) {
        let list = list
            .as_array()
            .ok_or_else(|| invalid("SerializationException", "LookupAttributes is not a list"))?;
        if list.len() > 1 {
            return Err(invalid(
                "InvalidLookupAttributesException",
                "You can only specify one lookup attribute.",
            ));
        }
        for a in list {
            let key = a.get("AttributeKey").and_then(Value::as_str).unwrap_or("");
            let value = a
                .get("AttributeValue")
                .and_then(Value::as_str)
                .unwrap_or("");
            let key = attribute(key).ok_or_else(|| {
                invalid(
                    "InvalidLookupAttributesException",
                    format!("{key:?} is not a valid lookup attribute key."),
                )
            })?;
            if value.is_empty() || value.len() > 2000 {
                return Err(invalid(
                    "InvalidLookupAttributesException",
                    "The lookup attribute value must be 1 to 2000 characters long.",
                ));
            }
            query.attributes.push((key, value.to_string()));
        }
    }
    if let Some(v) = input.get("StartTime").filter(|v| !v.is_null()) {
        query.start = Some(timestamp(v, "StartTime")?);
    }
    if let Some(v) = input.get("EndTime").filter(|v| !v.is_null()) {
        query.end = Some(timestamp(v, "EndTime")?);
    }
    if let (Some(s), Some(e)) = (query.start, query.end)
        && s > e
    {
        return Err(invalid(
            "InvalidTimeRangeException",
            "Start time must be before end time.",
        ));
    }
    if let Some(v) = input.get("MaxResults").filter(|v| !v.is_null()) {
        match v.as_i64() {
            Some(n @ 1..=50) => query.limit = n as usize,
            _ => {
                return Err(invalid(
                    "InvalidMaxResultsException",
                    "MaxResults must be from 1 to 50.",
                ));
            }
        }
    }
    if let Some(v) = input.get("NextToken").filter(|v| !v.is_null()) {
        let position = v
            .as_str()
            .and_then(|t| t.strip_prefix("p"))
            .and_then(|t| t.parse::<i64>().ok())
            .ok_or_else(|| invalid("InvalidNextTokenException", "The NextToken is not valid."))?;
        query.before = Some(position);
    }
    match input.get("EventCategory").and_then(Value::as_str) {
        None => {}
        // Portcullis makes no Insights events.
        Some("insight") => return Ok(json!({"Events": []})),
        Some(other) => {
            return Err(invalid(
                "InvalidEventCategoryException",
                format!("{other:?} is not a valid event category."),
            ));
        }
    }
    let page = query.limit;
    query.limit = page + 1;
    let mut found = app.lookup_events(&query).await?;
    let next = (found.len() > page).then(|| {
        found.truncate(page);
        format!("p{}", found[page - 1].position)
    });
    let mut out = json!({"Events": found.iter().map(event).collect::<Vec<_>>()});
    if let Some(token) = next {
        out["NextToken"] = json!(token);
    }
    Ok(out)
}

/// One event as LookupEvents answers it.
fn event(stored: &StoredEvent) -> Value {
    let e = &stored.event;
    let mut out = json!({
        "EventId": e.event_id,
        "EventName": e.name,
        "ReadOnly": if e.read_only { "true" } else { "false" },
        "EventTime": e.time as f64 / 1000.0,
        "EventSource": e.source,
        "Resources": e.resources.iter().map(|(t, n)| json!({"ResourceType": t, "ResourceName": n})).collect::<Vec<_>>(),
        "CloudTrailEvent": e.body,
    });
    if let Some(k) = &e.access_key_id {
        out["AccessKeyId"] = json!(k);
    }
    if let Some(u) = &e.username {
        out["Username"] = json!(u);
    }
    out
}
