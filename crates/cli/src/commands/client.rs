//! A small signed client for the commands that talk to a running server: SigV4 over
//! plain HTTP/1.1, credentials from the environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) or from the data directory's
//! `root-credentials`.

use anyhow::{Context as _, Result, bail};
use clap::Args;
use portcullis_protocol::sigv4::{HttpRequest, SigningParams, sign};
use portcullis_protocol::{Model, client};
use serde_json::Value;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

/// The server a command talks to when neither `--endpoint-url` nor an
/// `AWS_ENDPOINT_URL…` variable names one.
const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:4600";

/// Where the server is and who calls it.
#[derive(Args)]
pub(crate) struct Endpoint {
    /// The server's URL. Without it, as the AWS SDKs do: the service's own variable
    /// (`AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL_ECS`), then
    /// `AWS_ENDPOINT_URL`, then http://127.0.0.1:4600.
    #[arg(long)]
    endpoint_url: Option<String>,
    /// The data directory whose root credentials sign the request when
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` are not set.
    #[arg(long, env = "PORTCULLIS_DATA_DIR", default_value = "./portcullis-data")]
    data_dir: PathBuf,
}

/// The URL of `service`: `flag`, else the variable `AWS_ENDPOINT_URL_<SERVICE>`, else
/// `AWS_ENDPOINT_URL` (read with `var`; empty values count as unset), else the default.
fn resolve_url(flag: Option<&str>, service: &str, var: impl Fn(&str) -> Option<String>) -> String {
    let var = |name: &str| var(name).filter(|v| !v.is_empty());
    flag.map(str::to_string)
        .or_else(|| {
            var(&format!(
                "AWS_ENDPOINT_URL_{}",
                service.to_ascii_uppercase()
            ))
        })
        .or_else(|| var("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string())
}

struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl Endpoint {
    fn credentials(&self) -> Result<Credentials> {
        if let (Ok(id), Ok(secret)) = (
            std::env::var("AWS_ACCESS_KEY_ID"),
            std::env::var("AWS_SECRET_ACCESS_KEY"),
        ) {
            return Ok(Credentials {
                access_key_id: id,
                secret_access_key: secret,
                session_token: std::env::var("AWS_SESSION_TOKEN").ok(),
            });
        }
        let path = self.data_dir.join("root-credentials");
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "no AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, and cannot read {}",
                path.display()
            )
        })?;
        let value = |key: &str| {
            text.lines()
                .filter_map(|l| l.split_once('='))
                .find(|(k, _)| k.trim() == key)
                .map(|(_, v)| v.trim().to_string())
        };
        match (value("aws_access_key_id"), value("aws_secret_access_key")) {
            (Some(id), Some(secret)) => Ok(Credentials {
                access_key_id: id,
                secret_access_key: secret,
                session_token: None,
            }),
            _ => bail!("{} has no root credentials", path.display()),
        }
    }

    /// Calls an IAM operation with `input` (an object keyed by member names); its output
    /// as [`client::read_response`] reads it. An error answer is the command's error, an
    /// [`AwsError`](portcullis_protocol::AwsError) that callers may downcast to.
    pub(crate) fn iam(&self, operation: &str, input: &Value) -> Result<Value> {
        let model = Model::iam();
        let op = model
            .operation(operation)
            .with_context(|| format!("{operation} is not an IAM operation"))?;
        let body = client::encode_input(model, op, input);
        let (status, answer) = self.post(
            "iam",
            "application/x-www-form-urlencoded; charset=utf-8",
            &[],
            &body,
        )?;
        Ok(client::read_response(model, op, status, &answer)?)
    }

    /// Calls a paginated IAM operation with `input` page after page, following its
    /// paginator's tokens, until the last page; the pages in order.
    pub(crate) fn iam_pages(&self, operation: &str, input: &Value) -> Result<Vec<Value>> {
        let paginator = Model::iam()
            .operation(operation)
            .and_then(|op| op.paginator.as_ref())
            .with_context(|| format!("{operation} is not a paginated IAM operation"))?;
        let (Some(input_token), Some(output_token)) =
            (paginator.input_token(), paginator.output_token())
        else {
            bail!("the paginator of {operation} has no tokens");
        };
        let mut input = input.clone();
        let mut pages = Vec::new();
        loop {
            let page = self.iam(operation, &input)?;
            let more = paginator
                .more_results
                .as_deref()
                .and_then(|m| page.get(m))
                .and_then(Value::as_bool)
                == Some(true);
            let token = page
                .get(output_token)
                .and_then(Value::as_str)
                .map(str::to_owned);
            pages.push(page);
            match (more, token) {
                (false, _) => return Ok(pages),
                (true, Some(t)) => input[input_token] = Value::String(t),
                (true, None) => {
                    bail!("{operation} answered a truncated page without {output_token}")
                }
            }
        }
    }

    /// The URL of `service` (`iam`, `ec2`, `ecs`): `--endpoint-url`, else
    /// `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`, else the default.
    fn url_for(&self, service: &str) -> String {
        resolve_url(self.endpoint_url.as_deref(), service, |name| {
            std::env::var(name).ok()
        })
    }

    /// Sends a signed `POST /` with `body` to `service`; returns the status and body.
    pub(crate) fn post(
        &self,
        service: &str,
        content_type: &str,
        extra_headers: &[(&str, &str)],
        body: &str,
    ) -> Result<(u16, String)> {
        let url = self.url_for(service);
        let host = url
            .strip_prefix("http://")
            .context("--endpoint-url must be an http:// URL")?
            .trim_end_matches('/');
        let creds = self.credentials()?;
        let timestamp = portcullis_time::now_seconds();
        let mut headers: Vec<(&str, &str)> = vec![("host", host), ("content-type", content_type)];
        headers.extend_from_slice(extra_headers);
        let request = HttpRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            body: body.as_bytes(),
        };
        let signed = sign(
            &request,
            &SigningParams {
                access_key_id: &creds.access_key_id,
                secret_access_key: &creds.secret_access_key,
                session_token: creds.session_token.as_deref(),
                region: "us-east-1",
                service,
                timestamp,
            },
        );
        let mut raw = String::from("POST / HTTP/1.1\r\n");
        for (k, v) in headers
            .iter()
            .map(|(k, v)| (*k, *v))
            .chain(signed.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        {
            raw.push_str(&format!("{k}: {v}\r\n"));
        }
        raw.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ));
        let mut stream =
            TcpStream::connect(host).with_context(|| format!("connecting to {host}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.write_all(raw.as_bytes())?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        let text = String::from_utf8_lossy(&response);
        let (head, body) = text
            .split_once("\r\n\r\n")
            .context("the server's answer is not HTTP")?;
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .context("the server's answer has no status")?;
        Ok((status, body.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::resolve_url;

    #[test]
    fn the_service_variable_wins_over_the_global_one_and_the_flag_over_both() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let both = env(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:2"),
        ]);
        assert_eq!(resolve_url(None, "ec2", both), "http://127.0.0.1:2");
        assert_eq!(resolve_url(None, "ecs", both), "http://127.0.0.1:1");
        assert_eq!(
            resolve_url(Some("http://127.0.0.1:3"), "ec2", both),
            "http://127.0.0.1:3"
        );
        let empty_service = env(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_ECS", ""),
        ]);
        assert_eq!(
            resolve_url(None, "ecs", empty_service),
            "http://127.0.0.1:1"
        );
        assert_eq!(resolve_url(None, "iam", env(&[])), "http://127.0.0.1:4600");
    }
}
