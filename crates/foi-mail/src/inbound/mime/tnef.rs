//! Outlook's `winmail.dat` (TNEF, `application/ms-tnef`): the files inside become the
//! message's attachments, under the name a person gave them (the long file name in the
//! attachment's MAPI properties, else its short title).
//!
//! A small reader of our own, of the records MS-OXTNEF 2.1.3 describes: the `tnef` crate
//! (unmaintained since 2019) refuses real Exchange output that every mail client opens — a
//! stream with a wrong checksum, or trailing bytes after the last record. This reader reads
//! only within the buffer, ignores checksums, and stops at the first record that does not fit.

/// A file found in a TNEF blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The most files one blob may yield.
const MAX_FILES: usize = 500;

const SIGNATURE: u32 = 0x223e_9f78;
/// Attachment-level attribute ids (MS-OXTNEF 2.1.3.3).
const ATT_REND_DATA: u32 = 0x0006_9002;
const ATT_TITLE: u32 = 0x0001_8010;
const ATT_DATA: u32 = 0x0006_800f;
const ATT_PROPS: u32 = 0x0006_9005;
const ATT_TRANSPORT_NAME: u32 = 0x0006_9001;

/// PR_ATTACH_LONG_FILENAME and PR_ATTACH_FILENAME.
const LONG_FILENAME: u16 = 0x3707;
const FILENAME: u16 = 0x3704;

#[derive(Default)]
struct Pending<'a> {
    title: Option<&'a [u8]>,
    transport: Option<&'a [u8]>,
    data: Option<&'a [u8]>,
    props: Option<&'a [u8]>,
}

impl Pending<'_> {
    fn finish(self, out: &mut Vec<Found>) {
        let Some(data) = self.data else { return };
        if out.len() >= MAX_FILES {
            return;
        }
        let cstr = |b: &[u8]| {
            let b = b.split(|c| *c == 0).next().unwrap_or(b);
            let (t, _, _) = encoding_rs::WINDOWS_1252.decode(b);
            t.trim().to_string()
        };
        let name = self
            .props
            .and_then(|p| mapi_string(p, LONG_FILENAME).or_else(|| mapi_string(p, FILENAME)))
            .or_else(|| self.transport.map(cstr))
            .or_else(|| self.title.map(cstr))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("attachment-{}", out.len() + 1));
        out.push(Found {
            name,
            bytes: data.to_vec(),
        });
    }
}

/// The files in `data`; empty when it is not TNEF or holds none (the caller then keeps
/// `winmail.dat` itself, so nothing is lost).
pub fn unpack(data: &[u8]) -> Vec<Found> {
    let mut r = Reader { b: data, at: 0 };
    if r.u32() != Some(SIGNATURE) || r.u16().is_none() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut current: Option<Pending> = None;
    // Each record: level (1 message, 2 attachment), id, length, data, checksum (ignored).
    while let Some(level) = r.take(1).map(|b| b[0]) {
        if level != 1 && level != 2 {
            break; // trailing bytes after the last record
        }
        let (Some(id), Some(len)) = (r.u32(), r.u32()) else {
            break;
        };
        let Some(value) = r.take(len as usize) else {
            break;
        }; // a record that does not fit
        let _checksum = r.u16();
        if level != 2 {
            continue;
        }
        match id {
            ATT_REND_DATA => {
                if let Some(p) = current.take() {
                    p.finish(&mut out);
                }
                current = Some(Pending::default());
            }
            ATT_TITLE => current.get_or_insert_with(Pending::default).title = Some(value),
            ATT_TRANSPORT_NAME => {
                current.get_or_insert_with(Pending::default).transport = Some(value)
            }
            ATT_DATA => current.get_or_insert_with(Pending::default).data = Some(value),
            ATT_PROPS => current.get_or_insert_with(Pending::default).props = Some(value),
            _ => {}
        }
    }
    if let Some(p) = current.take() {
        p.finish(&mut out);
    }
    out
}

/// Reads a string property from a MAPI property stream (MS-OXTNEF 2.1.3.5): a count, then
/// for each property its type, id, (for a named property, its name), and value. Stops at
/// anything unexpected: this only ever reads within `b`.
fn mapi_string(b: &[u8], wanted: u16) -> Option<String> {
    let mut r = Reader { b, at: 0 };
    let count = r.u32()?;
    for _ in 0..count.min(10_000) {
        let ty = r.u16()?;
        let id = r.u16()?;
        if id >= 0x8000 {
            r.skip(16)?; // GUID
            match r.u32()? {
                0 => {
                    r.u32()?;
                }
                1 => {
                    let n = r.u32()? as usize;
                    r.skip(n.div_ceil(4) * 4)?;
                }
                _ => return None,
            }
        }
        let multi = ty & 0x1000 != 0;
        let base = ty & 0x0fff;
        let values = if multi { r.u32()? } else { 1 };
        for _ in 0..values.min(10_000) {
            match base {
                // PT_STRING8, PT_UNICODE, PT_BINARY, PT_OBJECT: counted values.
                0x001e | 0x001f | 0x0102 | 0x000d => {
                    let n = if multi { 1 } else { r.u32()? };
                    for _ in 0..n.min(10_000) {
                        let len = r.u32()? as usize;
                        let v = r.take(len)?;
                        r.skip((4 - len % 4) % 4)?;
                        if id == wanted && base == 0x001e {
                            let v = v.split(|c| *c == 0).next().unwrap_or(v);
                            return Some(String::from_utf8_lossy(v).into_owned());
                        }
                        if id == wanted && base == 0x001f {
                            let units: Vec<u16> = v
                                .chunks_exact(2)
                                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                                .take_while(|u| *u != 0)
                                .collect();
                            return Some(String::from_utf16_lossy(&units));
                        }
                    }
                }
                0x0002 | 0x000b => r.skip(4)?, // 16-bit values and booleans, padded
                0x0003 | 0x0004 | 0x000a => r.skip(4)?,
                0x0005 | 0x0006 | 0x0007 | 0x0014 | 0x0040 => r.skip(8)?,
                0x0048 => r.skip(16)?,
                _ => return None,
            }
        }
    }
    None
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let v = self.b.get(self.at..end)?;
        self.at = end;
        Some(v)
    }
    fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|v| u16::from_le_bytes([v[0], v[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|v| u32::from_le_bytes([v[0], v[1], v[2], v[3]]))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a TNEF stream with one attachment (short title, long name in its properties,
    /// contents), the way Outlook lays it out: what the project's own tests use.
    pub fn sample(long_name: &str, contents: &[u8]) -> Vec<u8> {
        fn attr(out: &mut Vec<u8>, level: u8, id: u32, data: &[u8]) {
            out.push(level);
            out.extend_from_slice(&id.to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(data);
            let sum: u32 = data.iter().map(|b| *b as u32).sum::<u32>() & 0xffff;
            out.extend_from_slice(&(sum as u16).to_le_bytes());
        }
        let mut out = Vec::new();
        out.extend_from_slice(&0x223e_9f78u32.to_le_bytes()); // signature
        out.extend_from_slice(&0u16.to_le_bytes()); // key
        attr(&mut out, 1, 0x0008_9006, &0x0001_0000u32.to_le_bytes()); // TNEF version
        attr(&mut out, 1, 0x0006_9007, &[0xe4, 0x04, 0, 0, 0, 0, 0, 0]); // code page 1252
        let rend = [1u8, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0];
        attr(&mut out, 2, 0x0006_9002, &rend); // AttachRendData
        attr(&mut out, 2, 0x0001_8010, b"LONGNA~1.DOC\0"); // title
        let date = [0xda, 0x07, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0];
        attr(&mut out, 2, 0x0003_8012, &date); // create date
        attr(&mut out, 2, 0x0003_8013, &date); // modify date
        attr(&mut out, 2, 0x0006_800f, contents); // data
        let mut props = Vec::new();
        props.extend_from_slice(&1u32.to_le_bytes());
        props.extend_from_slice(&0x001eu16.to_le_bytes());
        props.extend_from_slice(&LONG_FILENAME.to_le_bytes());
        props.extend_from_slice(&1u32.to_le_bytes());
        let mut name = long_name.as_bytes().to_vec();
        name.push(0);
        props.extend_from_slice(&(name.len() as u32).to_le_bytes());
        let pad = (4 - name.len() % 4) % 4;
        props.extend_from_slice(&name);
        props.extend(std::iter::repeat_n(0u8, pad));
        attr(&mut out, 2, 0x0006_9005, &props); // Attachment (MAPI properties)
        out
    }

    #[test]
    fn unpacks_files_with_their_long_names() {
        let files = unpack(&sample("FOI 09 02976i.doc", b"the document"));
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name, "FOI 09 02976i.doc");
        assert_eq!(files[0].bytes, b"the document");
    }

    #[test]
    fn a_wrong_checksum_and_trailing_bytes_are_tolerated_as_mail_clients_do() {
        let mut blob = sample("reply.doc", b"contents");
        let last = blob.len() - 1;
        blob[last] ^= 0xff; // the last record's checksum is now wrong
        blob.extend_from_slice(b"\r\n");
        let files = unpack(&blob);
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name, "reply.doc");
        // Two attachments in one stream.
        let mut two = sample("a.doc", b"A");
        let second = sample("b.doc", b"B");
        let start = 6 + 2 * (1 + 4 + 4 + 2) + 4 + 8; // signature, key, version, code page
        two.extend_from_slice(&second[start..]);
        let files = unpack(&two);
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a.doc", "b.doc"]);
    }

    #[test]
    fn hostile_and_truncated_blobs_yield_nothing_and_allocate_nothing_big() {
        let mut blob = sample("a.doc", b"x");
        // A data record claiming 4 GB.
        let at = blob
            .windows(4)
            .position(|w| w == 0x0006_800fu32.to_le_bytes())
            .unwrap();
        blob[at + 4..at + 8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(unpack(&blob).is_empty());
        let whole = sample("a.doc", b"xyz");
        for cut in [0, 3, 10, whole.len() / 2, whole.len() - 1] {
            let _ = unpack(&whole[..cut]);
        }
        assert!(unpack(b"not tnef").is_empty());
        // A property stream claiming a 4 GB string.
        let mut props = 1u32.to_le_bytes().to_vec();
        props.extend_from_slice(&0x001eu16.to_le_bytes());
        props.extend_from_slice(&LONG_FILENAME.to_le_bytes());
        props.extend_from_slice(&1u32.to_le_bytes());
        props.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(mapi_string(&props, LONG_FILENAME), None);
    }
}
