//! An IP address as text, without `core::fmt`: the forwarding headers write the client's address
//! on every request, and `Ipv4Addr`'s `Display` (padding support, one `u8` formatter call per
//! octet) cost ≈ 1,300 instructions a request, 3 % of a proxied request without cookies.
//!
//! The contract: [`IpText::of`] gives exactly the text of the address's `Display` (IPv4 in dotted
//! decimal without leading zeros; IPv6 in RFC 5952 form, which is still written by `Display`, into
//! the fixed buffer: it is rare at the proxy and not worth a second implementation). Tested against
//! `Display` below.

use std::io::Write as _;
use std::net::IpAddr;

/// The longest text of an IP address: an IPv6 address with an embedded IPv4 one
/// (`ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`).
const MAX_LEN: usize = 45;

/// The text of one IP address, on the stack.
pub(crate) struct IpText {
    bytes: [u8; MAX_LEN],
    len: usize,
}

impl IpText {
    /// The address as its `Display` writes it.
    pub(crate) fn of(ip: IpAddr) -> Self {
        let mut text = IpText {
            bytes: [0; MAX_LEN],
            len: 0,
        };
        match ip {
            IpAddr::V4(v4) => {
                for (i, octet) in v4.octets().into_iter().enumerate() {
                    if i > 0 {
                        text.push(b'.');
                    }
                    if octet >= 100 {
                        text.push(b'0' + octet / 100);
                    }
                    if octet >= 10 {
                        text.push(b'0' + octet / 10 % 10);
                    }
                    text.push(b'0' + octet % 10);
                }
            }
            IpAddr::V6(v6) => {
                let mut rest = &mut text.bytes[..];
                // At most `MAX_LEN` bytes: the write cannot run out of room.
                let _ = write!(rest, "{v6}");
                text.len = MAX_LEN - rest.len();
            }
        }
        text
    }

    /// The text's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    fn push(&mut self, b: u8) {
        self.bytes[self.len] = b;
        self.len += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    fn assert_display(ip: IpAddr) {
        assert_eq!(IpText::of(ip).as_bytes(), ip.to_string().as_bytes(), "{ip}");
    }

    #[test]
    fn ipv4_is_written_as_display_writes_it() {
        // Every octet value in every position, and a spread of whole addresses.
        for position in 0..4 {
            for value in 0..=255u8 {
                let mut octets = [1, 20, 255, 0];
                octets[position] = value;
                assert_display(IpAddr::V4(Ipv4Addr::from(octets)));
            }
        }
        let mut x: u32 = 0x1234_5678;
        for _ in 0..100_000 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            assert_display(IpAddr::V4(Ipv4Addr::from(x)));
        }
        assert_display(IpAddr::V4(Ipv4Addr::new(255, 255, 255, 255)));
        assert_display(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    }

    #[test]
    fn ipv6_is_written_as_display_writes_it() {
        for ip in [
            Ipv6Addr::LOCALHOST,
            Ipv6Addr::UNSPECIFIED,
            "2001:db8::1".parse().unwrap(),
            "::ffff:192.0.2.7".parse().unwrap(),
            "::192.0.2.7".parse().unwrap(),
            Ipv6Addr::from([0xffff; 8]),
            Ipv6Addr::from([0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xfffe]),
        ] {
            assert_display(IpAddr::V6(ip));
        }
        let mut x: u128 = 0x0123_4567_89ab_cdef;
        for _ in 0..10_000 {
            x = x
                .wrapping_mul(0x2360_ed05_1fc6_5da4_4385_df64_9fcc_f645)
                .wrapping_add(1);
            assert_display(IpAddr::V6(Ipv6Addr::from(x)));
            // Runs of zero groups, where the `::` goes.
            assert_display(IpAddr::V6(Ipv6Addr::from(
                x & 0xffff_0000_0000_ffff_0000_0000_0000_ffff,
            )));
        }
    }
}
