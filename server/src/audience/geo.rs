//! Where a viewer is: the client's address (the socket's, or `X-Forwarded-For`'s when the socket is a
//! trusted proxy) and its country, from an IP-to-country MMDB file read with the `maxminddb` crate.
//!
//! The file is not in the binary (a few MB that change monthly): `--geoip-db` points at one, and
//! `scripts/setup.sh` installs a free one (`@ip-location-db/geo-whois-asn-country-mmdb` from npm, whose
//! records are `{"country_code": "GB"}`). MaxMind's own country databases (`{"country": {"iso_code":
//! "GB"}}`) are read too. Without a file every country is unknown.

use std::net::IpAddr;
use std::path::Path;
use std::str::FromStr;

use axum::http::HeaderMap;
use ipnet::IpNet;
use serde::Deserialize;

/// The address ranges whose `X-Forwarded-For` is believed: a CDN or a cache in front of the origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl Default for TrustedProxies {
    /// Loopback and the private ranges (a proxy on the same machine or network).
    fn default() -> Self {
        Self::from_str("127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7")
            .unwrap_or(Self(Vec::new()))
    }
}

impl FromStr for TrustedProxies {
    type Err = ipnet::AddrParseError;

    /// Comma-separated CIDR ranges or addresses (`10.0.0.0/8,203.0.113.7`); empty trusts none.
    fn from_str(list: &str) -> Result<Self, Self::Err> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|err| item.parse::<IpAddr>().map(IpNet::from).map_err(|_| err))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

impl TrustedProxies {
    /// True when `address` is in a trusted range.
    pub fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client's address: the socket's `peer`, unless it is a trusted proxy; then the last address of
    /// `X-Forwarded-For` that is not a trusted proxy (proxies append, so the ones to the left of the
    /// first untrusted one could be made up by the client), or the first one if every hop is trusted.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return canonical(peer);
        }
        let hops: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
            .map(canonical)
            .collect();
        hops.iter()
            .rev()
            .find(|hop| !self.trusts(**hop))
            .or(hops.first())
            .copied()
            .unwrap_or_else(|| canonical(peer))
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 one.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// Countries of addresses, from an MMDB file (or none).
#[derive(Default)]
pub struct Countries {
    reader: Option<maxminddb::Reader<Vec<u8>>>,
}

impl std::fmt::Debug for Countries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Countries")
            .field("loaded", &self.reader.is_some())
            .finish()
    }
}

/// A record of either kind of country database.
#[derive(Deserialize)]
struct CountryRecord<'a> {
    /// ip-location-db's flat records.
    #[serde(borrow, default)]
    country_code: Option<&'a str>,
    /// MaxMind's nested ones.
    #[serde(borrow, default)]
    country: Option<MaxMindCountry<'a>>,
}

#[derive(Deserialize)]
struct MaxMindCountry<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
}

impl Countries {
    /// Reads an MMDB file. Blocking.
    pub fn open(path: &Path) -> Result<Self, maxminddb::MaxMindDbError> {
        Ok(Self {
            reader: Some(maxminddb::Reader::open_readfile(path)?),
        })
    }

    /// None known.
    pub fn none() -> Self {
        Self::default()
    }

    /// The ISO 3166 alpha-2 code of `address`'s country, if the database has it.
    pub fn country(&self, address: IpAddr) -> Option<String> {
        let reader = self.reader.as_ref()?;
        let found = reader.lookup(address).ok()?;
        let record: CountryRecord<'_> = found.decode().ok()??;
        let code = record
            .country_code
            .or(record.country.and_then(|c| c.iso_code))?;
        (code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()))
            .then(|| code.to_ascii_uppercase())
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = TrustedProxies::default();
        let xff = forwarded(&["81.2.69.160"]);
        // From loopback (a cache on this machine): the header's client.
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &xff),
            ip("81.2.69.160")
        );
        assert_eq!(
            trusted.client_address(ip("::ffff:127.0.0.1"), &xff),
            ip("81.2.69.160")
        );
        // From the internet: the socket, whatever the header says.
        assert_eq!(trusted.client_address(ip("8.8.8.8"), &xff), ip("8.8.8.8"));
        // A client that made up an address on the left: the last untrusted hop counts.
        let spoofed = forwarded(&["1.2.3.4, 81.2.69.160", "10.0.0.5"]);
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), &spoofed),
            ip("81.2.69.160")
        );
        // Every hop trusted: the first.
        let inner = forwarded(&["192.168.1.9, 10.0.0.5"]);
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &inner),
            ip("192.168.1.9")
        );
        // No or junk header: the socket.
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &forwarded(&["junk"])),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn proxy_lists() {
        let list: TrustedProxies = "203.0.113.7, 198.51.100.0/24".parse().unwrap();
        assert!(list.trusts(ip("203.0.113.7")));
        assert!(list.trusts(ip("198.51.100.200")));
        assert!(!list.trusts(ip("127.0.0.1")));
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert_eq!(
            "".parse::<TrustedProxies>().unwrap(),
            TrustedProxies(Vec::new())
        );
    }

    #[test]
    fn no_database_no_country() {
        assert_eq!(Countries::none().country(ip("81.2.69.160")), None);
    }
}
