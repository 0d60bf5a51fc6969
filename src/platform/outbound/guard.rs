//! Which outbound targets are allowed (SSRF guard): public addresses over https,
//! plus http and loopback when explicitly allowed (development and tests).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The target rules, checked at registration and again at every connection.
#[derive(Debug, Clone, Copy)]
pub struct TargetPolicy {
    /// Allow `http://` URLs and loopback addresses (never in production).
    pub allow_insecure_local: bool,
}

/// Why a target was refused; the text is shown to the workshop.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("target refused: {0}")]
pub struct Refused(pub String);

impl TargetPolicy {
    /// Checks the URL's form and, for a literal IP host, the address itself.
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        match url.scheme() {
            "https" => {}
            "http" if self.allow_insecure_local => {}
            "http" => return Err(Refused("only https URLs are allowed".into())),
            other => return Err(Refused(format!("scheme {other} is not allowed"))),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refused("URLs must not carry credentials".into()));
        }
        if url.fragment().is_some() {
            return Err(Refused("URLs must not carry a #fragment".into()));
        }
        match (url.host_str(), literal_ip(url)) {
            (None, _) => Err(Refused("the URL has no host".into())),
            (Some(_), Some(ip)) => self.check_ip(ip),
            (Some(_), None) => Ok(()),
        }
    }

    /// Resolves the URL's host and checks every address it resolves to.
    pub async fn check_resolved(&self, url: &Url) -> Result<(), Refused> {
        self.check_url(url)?;
        let (Some(host), None) = (url.host_str(), literal_ip(url)) else {
            return Ok(());
        };
        let port = url.port_or_known_default().unwrap_or(443);
        self.resolve(host, port).await.map(|_| ())
    }

    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refused> {
        match classify(ip) {
            Class::Public => Ok(()),
            Class::Loopback if self.allow_insecure_local => Ok(()),
            class => Err(Refused(format!("{ip} is a {} address", class.name()))),
        }
    }

    /// Looks a name up and refuses it if ANY of its addresses is not allowed.
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, Refused> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| Refused(format!("{host} does not resolve: {e}")))?
            .collect();
        if addrs.is_empty() {
            return Err(Refused(format!("{host} has no addresses")));
        }
        for addr in &addrs {
            self.check_ip(addr.ip())
                .map_err(|e| Refused(format!("{host} resolves to {}", e.0)))?;
        }
        Ok(addrs)
    }
}

/// The host as an IP address when the URL names one literally (`[::1]` included).
fn literal_ip(url: &Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// A DNS resolver for reqwest that applies the policy to every lookup, so a
/// name cannot be rebound to a private address between check and connect.
pub struct GuardedResolver(pub TargetPolicy);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = policy.resolve(&host, 0).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

impl GuardedResolver {
    pub fn shared(policy: TargetPolicy) -> Arc<Self> {
        Arc::new(Self(policy))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Public,
    Loopback,
    Private,
    LinkLocal,
    UniqueLocal,
    Multicast,
    Unspecified,
    Reserved,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Public => "public",
            Class::Loopback => "loopback",
            Class::Private => "private",
            Class::LinkLocal => "link-local",
            Class::UniqueLocal => "unique-local",
            Class::Multicast => "multicast",
            Class::Unspecified => "unspecified",
            Class::Reserved => "reserved",
        }
    }
}

fn classify(ip: IpAddr) -> Class {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Class {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        (0, _, _) => Class::Unspecified,
        (127, _, _) => Class::Loopback,
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => Class::Private,
        // Carrier-grade NAT space is private in practice.
        (100, 64..=127, _) => Class::Private,
        (169, 254, _) => Class::LinkLocal,
        (224..=239, _, _) => Class::Multicast,
        // IETF assignments, documentation, benchmarking, 240/4 and broadcast.
        (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => Class::Reserved,
        (198, 18..=19, _) | (240..=255, _, _) => Class::Reserved,
        _ => Class::Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> Class {
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let seg = ip.segments();
    match seg[0] {
        _ if ip.is_unspecified() => Class::Unspecified,
        _ if ip.is_loopback() => Class::Loopback,
        0xfc00..=0xfdff => Class::UniqueLocal,
        // fec0::/10 (deprecated site-local) is treated like link-local.
        0xfe80..=0xfeff => Class::LinkLocal,
        0xff00..=0xffff => Class::Multicast,
        // Documentation, Teredo and the rest of ::/8 carry no reachable partner.
        0x2001 if seg[1] == 0x0db8 || seg[1] == 0 => Class::Reserved,
        0x0000..=0x00ff => Class::Reserved,
        _ => Class::Public,
    }
}

/// The IPv4 address inside IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible
/// (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let seg = ip.segments();
    let tail =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    if seg[..6] == [0; 6] && !ip.is_unspecified() && !ip.is_loopback() {
        return Some(tail(seg[6], seg[7]));
    }
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(tail(seg[6], seg[7]));
    }
    if seg[0] == 0x2002 {
        return Some(tail(seg[1], seg[2]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: TargetPolicy = TargetPolicy {
        allow_insecure_local: false,
    };
    const LOCAL: TargetPolicy = TargetPolicy {
        allow_insecure_local: true,
    };

    fn refused(policy: TargetPolicy, url: &str) -> bool {
        policy.check_url(&Url::parse(url).unwrap()).is_err()
    }

    #[test]
    fn private_and_special_addresses_are_refused_in_production() {
        for url in [
            "https://127.0.0.1/",
            "https://10.1.2.3/",
            "https://172.16.0.1/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://224.0.0.1/",
            "https://255.255.255.255/",
            "https://[::1]/",
            "https://[::]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[ff02::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://[::127.0.0.1]/",
            "https://[64:ff9b::a00:1]/",
            "https://[2002:c0a8:101::]/",
            "https://[2001:db8::1]/",
        ] {
            assert!(refused(STRICT, url), "{url} should be refused");
        }
    }

    #[test]
    fn public_https_targets_pass_and_http_needs_the_local_flag() {
        assert!(!refused(STRICT, "https://93.184.216.34/hook"));
        assert!(!refused(STRICT, "https://[2606:4700::1111]/hook"));
        assert!(!refused(STRICT, "https://partner.example.com/hook"));
        assert!(refused(STRICT, "http://93.184.216.34/hook"));
        assert!(refused(STRICT, "ftp://93.184.216.34/hook"));
        assert!(refused(STRICT, "https://user:pw@partner.example.com/"));
    }

    #[test]
    fn the_local_flag_allows_loopback_but_not_private_networks() {
        assert!(!refused(LOCAL, "http://127.0.0.1:8080/hook"));
        assert!(!refused(LOCAL, "http://[::1]:8080/hook"));
        assert!(refused(LOCAL, "http://10.0.0.1/hook"));
        assert!(refused(LOCAL, "http://[::ffff:192.168.0.1]/hook"));
    }
}
