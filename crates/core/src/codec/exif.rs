//! The one EXIF field corepool needs: the orientation tag (0x0112) of IFD0.

/// Reads the orientation (1..=8) from an EXIF block (a TIFF structure), with or
/// without the `Exif\0\0` prefix of a JPEG APP1 segment. `None` when absent or invalid.
pub fn orientation(exif: &[u8]) -> Option<u16> {
    let tiff = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
    let big_endian = match tiff.get(..4)? {
        [b'M', b'M', 0, 42] => true,
        [b'I', b'I', 42, 0] => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b = tiff.get(at..at + 2)?;
        Some(if big_endian {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b = tiff.get(at..at + 4)?;
        let b = [b[0], b[1], b[2], b[3]];
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd = u32_at(4)? as usize;
    let entries = u16_at(ifd)? as usize;
    (0..entries).find_map(|i| {
        let entry = ifd.checked_add(2 + 12 * i)?;
        // Tag 0x0112, type SHORT (3), count 1: the value sits in the first two bytes.
        if u16_at(entry)? == 0x0112 && u16_at(entry + 2)? == 3 {
            u16_at(entry + 8).filter(|o| (1..=8).contains(o))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(big_endian: bool, value: u16) -> Vec<u8> {
        let mut v = b"Exif\0\0".to_vec();
        let w16 = |v: &mut Vec<u8>, x: u16| {
            v.extend(if big_endian {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            })
        };
        let w32 = |v: &mut Vec<u8>, x: u32| {
            v.extend(if big_endian {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            })
        };
        v.extend(if big_endian { *b"MM\0*" } else { *b"II*\0" });
        w32(&mut v, 8);
        w16(&mut v, 1);
        w16(&mut v, 0x0112);
        w16(&mut v, 3);
        w32(&mut v, 1);
        w16(&mut v, value);
        w16(&mut v, 0);
        w32(&mut v, 0);
        v
    }

    #[test]
    fn reads_both_byte_orders() {
        assert_eq!(orientation(&block(true, 6)), Some(6));
        assert_eq!(orientation(&block(false, 8)), Some(8));
        assert_eq!(orientation(&block(false, 9)), None);
    }

    #[test]
    fn survives_garbage() {
        assert_eq!(orientation(b""), None);
        assert_eq!(orientation(b"Exif\0\0MM\0*\xff\xff\xff\xff"), None);
        let mut truncated = block(true, 6);
        truncated.truncate(20);
        assert_eq!(orientation(&truncated), None);
    }
}
