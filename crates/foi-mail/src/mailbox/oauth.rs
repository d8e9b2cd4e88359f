//! OAuth 2.0 for the mailbox, with the `oauth2` crate: the device authorization grant
//! (RFC 8628, `foi mailbox login`), the client credentials grant (app-only access) and
//! refresh (RFC 6749 §6). Presets fill the endpoints and scopes of Microsoft 365 and Google.

use super::tokens::Secret;
use crate::config::{OAuthConfig, OAuthFlow, OAuthProvider};
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, ClientId, ClientSecret, DeviceAuthorizationUrl, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, RefreshToken, RequestTokenError, Scope, StandardDeviceAuthorizationResponse,
    TokenResponse, TokenUrl,
};
use std::time::Duration;

/// The endpoints and scopes in force, after the preset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub token_url: String,
    pub device_authorization_url: Option<String>,
    pub scopes: Vec<String>,
}

/// The delegated scopes Microsoft 365 needs for IMAP and SMTP, and a refresh token.
pub(crate) const MICROSOFT_DELEGATED_SCOPES: &[&str] = &[
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "https://outlook.office.com/SMTP.Send",
    "offline_access",
];
/// App-only (client credentials) access to Exchange Online.
pub(crate) const MICROSOFT_APP_SCOPE: &str = "https://outlook.office365.com/.default";
/// Gmail's IMAP and SMTP scope.
pub(crate) const GOOGLE_SCOPE: &str = "https://mail.google.com/";

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The configuration cannot work; the text says which key to set.
    #[error("[oauth] {0}")]
    Config(String),
    /// The provider refused the grant (a revoked or expired refresh token, wrong app
    /// credentials, consent missing). A person must act.
    #[error("{0}")]
    Refused(String),
    /// The token endpoint could not be reached or answered nonsense: worth trying again.
    #[error("the sign-in service could not be reached: {0}")]
    Unreachable(String),
}

/// An http(s) URL; plain http only to this machine (a test server), since tokens cross it.
fn checked_url(key: &str, url: &str) -> Result<String, OAuthError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| OAuthError::Config(format!("{key} `{url}` is not a URL: {e}")))?;
    let host = parsed.host_str().unwrap_or_default();
    let loopback = crate::hosts::is_loopback(host);
    match parsed.scheme() {
        "https" => Ok(url.to_string()),
        "http" if loopback => Ok(url.to_string()),
        _ => Err(OAuthError::Config(format!(
            "{key} `{url}` must be https:// (tokens travel over it)"
        ))),
    }
}

impl Endpoints {
    /// The preset for the provider, with every non-empty configured value taking precedence.
    pub fn resolve(cfg: &OAuthConfig) -> Result<Endpoints, OAuthError> {
        let tenant = if cfg.tenant.trim().is_empty() {
            "organizations"
        } else {
            cfg.tenant.trim()
        };
        let (token, device, scopes): (String, Option<String>, Vec<String>) = match cfg.provider {
            OAuthProvider::Microsoft365 => {
                if cfg.flow == OAuthFlow::ClientCredentials && cfg.tenant.trim().is_empty() {
                    return Err(OAuthError::Config(
                        "set tenant (your directory id or domain, e.g. `contoso.onmicrosoft.com`): app-only sign-in needs it".into(),
                    ));
                }
                let base = format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0");
                let scopes = match cfg.flow {
                    OAuthFlow::DeviceCode => MICROSOFT_DELEGATED_SCOPES
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                    OAuthFlow::ClientCredentials => vec![MICROSOFT_APP_SCOPE.to_string()],
                };
                (
                    format!("{base}/token"),
                    Some(format!("{base}/devicecode")),
                    scopes,
                )
            }
            OAuthProvider::Google => (
                "https://oauth2.googleapis.com/token".into(),
                Some("https://oauth2.googleapis.com/device/code".into()),
                vec![GOOGLE_SCOPE.to_string()],
            ),
            OAuthProvider::Generic => (String::new(), None, Vec::new()),
        };
        let pick = |given: &str, preset: String| {
            if given.trim().is_empty() {
                preset
            } else {
                given.trim().to_string()
            }
        };
        let token_url = pick(&cfg.token_url, token);
        if token_url.is_empty() {
            return Err(OAuthError::Config(
                "set token_url (or provider = \"microsoft365\" | \"google\")".into(),
            ));
        }
        let device = pick(&cfg.device_authorization_url, device.unwrap_or_default());
        let device_authorization_url = if device.is_empty() {
            None
        } else {
            Some(checked_url("device_authorization_url", &device)?)
        };
        Ok(Endpoints {
            token_url: checked_url("token_url", &token_url)?,
            device_authorization_url,
            scopes: if cfg.scopes.is_empty() {
                scopes
            } else {
                cfg.scopes.clone()
            },
        })
    }
}

/// A grant from the token endpoint.
#[derive(Debug)]
pub struct Grant {
    pub access_token: Secret,
    /// Present when the provider issued (or rotated) one.
    pub refresh_token: Option<Secret>,
    pub expires_in: Option<Duration>,
}

/// What `foi mailbox login` shows the person signing in.
#[derive(Debug)]
pub struct DeviceStart {
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub user_code: String,
    pub expires_in: Duration,
    response: StandardDeviceAuthorizationResponse,
}

type Client =
    BasicClient<EndpointNotSet, EndpointMaybeSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// The token endpoint client for one configuration.
pub struct OAuthClient {
    client: Client,
    endpoints: Endpoints,
    flow: OAuthFlow,
    http: reqwest::Client,
}

impl OAuthClient {
    /// Builds the client; the client secret comes from the environment only.
    pub fn new(
        cfg: &OAuthConfig,
        client_secret: Option<Secret>,
    ) -> Result<OAuthClient, OAuthError> {
        if cfg.client_id.trim().is_empty() {
            return Err(OAuthError::Config(
                "set client_id (the application id of the app registration)".into(),
            ));
        }
        let endpoints = Endpoints::resolve(cfg)?;
        if cfg.flow == OAuthFlow::ClientCredentials && client_secret.is_none() {
            return Err(OAuthError::Config(
                "flow = \"client_credentials\" needs the app's secret in FOI_OAUTH_CLIENT_SECRET"
                    .into(),
            ));
        }
        let device = endpoints
            .device_authorization_url
            .as_ref()
            .map(|u| DeviceAuthorizationUrl::new(u.clone()))
            .transpose()
            .map_err(|e| OAuthError::Config(format!("device_authorization_url: {e}")))?;
        let mut client = BasicClient::new(ClientId::new(cfg.client_id.trim().to_string()))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(
                TokenUrl::new(endpoints.token_url.clone())
                    .map_err(|e| OAuthError::Config(format!("token_url: {e}")))?,
            )
            .set_device_authorization_url_option(device);
        if let Some(s) = client_secret {
            client = client.set_client_secret(ClientSecret::new(s.expose().to_string()));
        }
        // No redirects: a token endpoint that redirects is not one to send secrets to.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| OAuthError::Config(e.to_string()))?;
        Ok(OAuthClient {
            client,
            endpoints,
            flow: cfg.flow,
            http,
        })
    }

    pub fn flow(&self) -> OAuthFlow {
        self.flow
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    fn scopes(&self) -> Vec<Scope> {
        self.endpoints
            .scopes
            .iter()
            .cloned()
            .map(Scope::new)
            .collect()
    }

    /// A new access token for a refresh token.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<Grant, OAuthError> {
        let rt = RefreshToken::new(refresh_token.expose().to_string());
        let r = self
            .client
            .exchange_refresh_token(&rt)
            .add_scopes(self.scopes())
            .request_async(&self.http)
            .await;
        grant(r, "refreshing the mailbox's sign-in")
    }

    /// An app-only access token.
    pub async fn client_credentials(&self) -> Result<Grant, OAuthError> {
        let r = self
            .client
            .exchange_client_credentials()
            .add_scopes(self.scopes())
            .request_async(&self.http)
            .await;
        grant(r, "the app's own sign-in (client credentials)")
    }

    /// Starts a device sign-in: the code to show the person.
    pub async fn start_device(&self) -> Result<DeviceStart, OAuthError> {
        let req = self.client.exchange_device_code().map_err(|_| {
            OAuthError::Config(
                "set device_authorization_url (or provider = \"microsoft365\" | \"google\")".into(),
            )
        })?;
        let response: StandardDeviceAuthorizationResponse = req
            .add_scopes(self.scopes())
            .request_async(&self.http)
            .await
            .map_err(|e| classify(e, "starting the device sign-in"))?;
        Ok(DeviceStart {
            verification_uri: response.verification_uri().to_string(),
            verification_uri_complete: response
                .verification_uri_complete()
                .map(|u| u.secret().to_string()),
            user_code: response.user_code().secret().to_string(),
            expires_in: response.expires_in(),
            response,
        })
    }

    /// Polls until the person has signed in (authorization_pending and slow_down are handled
    /// as RFC 8628 §3.5 says), was refused, or the code expired.
    pub async fn finish_device(&self, start: &DeviceStart) -> Result<Grant, OAuthError> {
        let r = self
            .client
            .exchange_device_access_token(&start.response)
            .request_async(&self.http, tokio::time::sleep, None)
            .await;
        match r {
            Ok(t) => Ok(Grant {
                access_token: Secret::new(t.access_token().secret().clone()),
                refresh_token: t.refresh_token().map(|r| Secret::new(r.secret().clone())),
                expires_in: t.expires_in(),
            }),
            Err(RequestTokenError::ServerResponse(e)) => Err(OAuthError::Refused(format!(
                "the sign-in did not complete: {}{}",
                e.error(),
                e.error_description()
                    .map(|d| format!(" ({})", first_line(d)))
                    .unwrap_or_default()
            ))),
            Err(e) => Err(classify_other(e, "waiting for the device sign-in")),
        }
    }
}

/// The first line of a provider's description (Microsoft's carry trace ids on later lines).
fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s).trim()
}

fn grant<RE: std::error::Error + 'static>(
    r: Result<
        oauth2::basic::BasicTokenResponse,
        RequestTokenError<RE, oauth2::basic::BasicErrorResponse>,
    >,
    what: &str,
) -> Result<Grant, OAuthError> {
    match r {
        Ok(t) => Ok(Grant {
            access_token: Secret::new(t.access_token().secret().clone()),
            refresh_token: t.refresh_token().map(|r| Secret::new(r.secret().clone())),
            expires_in: t.expires_in(),
        }),
        Err(e) => Err(classify(e, what)),
    }
}

fn classify<RE: std::error::Error + 'static>(
    e: RequestTokenError<RE, oauth2::basic::BasicErrorResponse>,
    what: &str,
) -> OAuthError {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let code = r.error();
            let detail = r
                .error_description()
                .map(|d| format!(" ({})", first_line(d)))
                .unwrap_or_default();
            let hint = match code {
                BasicErrorResponseType::InvalidGrant => {
                    "the sign-in was revoked or has expired (a changed password, an administrator, or months unused)"
                }
                BasicErrorResponseType::InvalidClient => {
                    "the app's client id or secret was not accepted: check [oauth] client_id and FOI_OAUTH_CLIENT_SECRET"
                }
                BasicErrorResponseType::UnauthorizedClient => {
                    "the app registration does not allow this sign-in flow"
                }
                BasicErrorResponseType::InvalidScope => {
                    "the scopes asked for are not granted to the app: check [oauth] scopes and the app's API permissions"
                }
                _ => "the sign-in service refused",
            };
            let text = format!("{what}: {hint} [{code}{detail}]");
            // Provider codes in the description (consent missing, a secret expired) say more.
            let more = match code {
                BasicErrorResponseType::InvalidGrant => None,
                _ => crate::domain::mailbox_errors::explain(&text),
            };
            OAuthError::Refused(match more {
                Some(x) => format!("{text}. {x}"),
                None => text,
            })
        }
        other => classify_other(other, what),
    }
}

fn classify_other<RE: std::error::Error + 'static, TE: oauth2::ErrorResponse + 'static>(
    e: RequestTokenError<RE, TE>,
    what: &str,
) -> OAuthError {
    match e {
        RequestTokenError::Request(e) => OAuthError::Unreachable(format!("{what}: {e}")),
        RequestTokenError::Parse(e, _) => {
            OAuthError::Unreachable(format!("{what}: the answer was not a token response ({e})"))
        }
        RequestTokenError::Other(e) => OAuthError::Unreachable(format!("{what}: {e}")),
        RequestTokenError::ServerResponse(r) => {
            OAuthError::Refused(format!("{what}: refused ({r})"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(provider: OAuthProvider, flow: OAuthFlow) -> OAuthConfig {
        OAuthConfig {
            provider,
            flow,
            client_id: "app".into(),
            ..OAuthConfig::default()
        }
    }

    #[test]
    fn microsoft_preset_uses_the_tenant_and_the_delegated_scopes() {
        let mut c = cfg(OAuthProvider::Microsoft365, OAuthFlow::DeviceCode);
        c.tenant = "contoso.onmicrosoft.com".into();
        let e = Endpoints::resolve(&c).unwrap();
        assert_eq!(
            e.token_url,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert!(e.device_authorization_url.unwrap().ends_with("/devicecode"));
        assert!(e.scopes.contains(&"offline_access".to_string()));
        assert!(e
            .scopes
            .contains(&"https://outlook.office.com/SMTP.Send".to_string()));
    }

    #[test]
    fn microsoft_app_only_needs_a_tenant_and_uses_default_scope() {
        let c = cfg(OAuthProvider::Microsoft365, OAuthFlow::ClientCredentials);
        let e = Endpoints::resolve(&c).unwrap_err().to_string();
        assert!(e.contains("tenant"), "{e}");
        let mut c = c;
        c.tenant = "t1".into();
        assert_eq!(
            Endpoints::resolve(&c).unwrap().scopes,
            vec![MICROSOFT_APP_SCOPE.to_string()]
        );
    }

    #[test]
    fn generic_needs_a_token_url_and_plain_http_only_to_loopback() {
        let mut c = cfg(OAuthProvider::Generic, OAuthFlow::DeviceCode);
        assert!(Endpoints::resolve(&c)
            .unwrap_err()
            .to_string()
            .contains("token_url"));
        c.token_url = "http://auth.example.org/token".into();
        assert!(Endpoints::resolve(&c)
            .unwrap_err()
            .to_string()
            .contains("https"));
        c.token_url = "http://127.0.0.1:9000/token".into();
        assert!(Endpoints::resolve(&c).is_ok());
        c.scopes = vec!["mail".into()];
        assert_eq!(
            Endpoints::resolve(&c).unwrap().scopes,
            vec!["mail".to_string()]
        );
    }

    #[test]
    fn client_credentials_need_the_secret_from_the_environment() {
        let mut c = cfg(OAuthProvider::Google, OAuthFlow::ClientCredentials);
        c.client_id = "x".into();
        let e = OAuthClient::new(&c, None).err().unwrap().to_string();
        assert!(e.contains("FOI_OAUTH_CLIENT_SECRET"), "{e}");
    }
}
