//! The EXIF fields corepool reads: the orientation tag (0x0112) and the resolution
//! (0x011A XResolution, 0x0128 ResolutionUnit) of IFD0.

/// IFD0 of an EXIF block (a TIFF structure), with or without the `Exif\0\0` prefix of
/// a JPEG APP1 segment. Every read is bounds-checked: `None` when out of the block.
struct Ifd0<'a> {
    tiff: &'a [u8],
    big_endian: bool,
    /// Where the directory starts.
    at: usize,
}

impl<'a> Ifd0<'a> {
    fn new(exif: &'a [u8]) -> Option<Self> {
        let tiff = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
        let big_endian = match tiff.get(..4)? {
            [b'M', b'M', 0, 42] => true,
            [b'I', b'I', 42, 0] => false,
            _ => return None,
        };
        let mut ifd = Self {
            tiff,
            big_endian,
            at: 0,
        };
        ifd.at = ifd.u32_at(4)? as usize;
        Some(ifd)
    }

    fn u16_at(&self, at: usize) -> Option<u16> {
        let b = self.tiff.get(at..at.checked_add(2)?)?;
        Some(if self.big_endian {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        let b = self.tiff.get(at..at.checked_add(4)?)?;
        let b = [b[0], b[1], b[2], b[3]];
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    /// The entry of `tag` with type `kind`: where its value (or its offset) sits.
    fn entry(&self, tag: u16, kind: u16) -> Option<usize> {
        let entries = usize::from(self.u16_at(self.at)?);
        (0..entries).find_map(|i| {
            let entry = self.at.checked_add(2 + 12 * i)?;
            (self.u16_at(entry)? == tag && self.u16_at(entry + 2)? == kind).then_some(entry + 8)
        })
    }

    /// A SHORT (type 3) tag's first value.
    fn short(&self, tag: u16) -> Option<u16> {
        self.u16_at(self.entry(tag, 3)?)
    }

    /// A RATIONAL (type 5) tag's first value.
    fn rational(&self, tag: u16) -> Option<f64> {
        let offset = self.u32_at(self.entry(tag, 5)?)? as usize;
        let (num, den) = (self.u32_at(offset)?, self.u32_at(offset.checked_add(4)?)?);
        (den != 0).then(|| f64::from(num) / f64::from(den))
    }
}

/// Reads the orientation (1..=8) from an EXIF block. `None` when absent or invalid.
pub fn orientation(exif: &[u8]) -> Option<u16> {
    Ifd0::new(exif)?
        .short(0x0112)
        .filter(|o| (1..=8).contains(o))
}

/// Sets the orientation tag of an EXIF block (as [`orientation`] reads it) to
/// `value`, in place; a block without the tag is left as it is. For `keepExif` after
/// auto-orient, whose pixels are already upright (sharp resets it to 1 too).
pub fn set_orientation(exif: &mut [u8], value: u16) {
    let Some((at, big_endian)) = Ifd0::new(exif).and_then(|ifd| {
        let offset = exif.len() - ifd.tiff.len();
        Some((offset + ifd.entry(0x0112, 3)?, ifd.big_endian))
    }) else {
        return;
    };
    let bytes = if big_endian {
        value.to_be_bytes()
    } else {
        value.to_le_bytes()
    };
    if let Some(slot) = exif.get_mut(at..at + 2) {
        slot.copy_from_slice(&bytes);
    }
}

/// The resolution in pixels per inch from an EXIF block, as libvips reads it: only
/// when XResolution, YResolution and ResolutionUnit (2 inches, 3 centimetres) are all
/// there.
pub fn resolution(exif: &[u8]) -> Option<f64> {
    let ifd = Ifd0::new(exif)?;
    let x = ifd.rational(0x011A)?;
    ifd.rational(0x011B)?;
    match ifd.short(0x0128)? {
        2 => Some(x),
        3 => Some(x * 2.54),
        _ => None,
    }
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

    /// An IFD0 of XResolution = YResolution = `num`/`den` (RATIONAL) and ResolutionUnit
    /// `unit`, little-endian.
    fn resolution_block(num: u32, den: u32, unit: u16) -> Vec<u8> {
        let mut v = b"II*\0".to_vec();
        v.extend(8u32.to_le_bytes());
        v.extend(3u16.to_le_bytes());
        // Values after the directory: 8 + 2 + 3 * 12 + 4 = 50.
        for (tag, kind, value) in [
            (0x011Au16, 5u16, 50u32),
            (0x011B, 5, 50),
            (0x0128, 3, u32::from(unit)),
        ] {
            v.extend(tag.to_le_bytes());
            v.extend(kind.to_le_bytes());
            v.extend(1u32.to_le_bytes());
            v.extend(value.to_le_bytes());
        }
        v.extend(0u32.to_le_bytes());
        v.extend(num.to_le_bytes());
        v.extend(den.to_le_bytes());
        v
    }

    #[test]
    fn reads_the_resolution_in_inches_or_centimetres() {
        assert_eq!(resolution(&resolution_block(300, 1, 2)), Some(300.0));
        assert_eq!(resolution(&resolution_block(100, 2, 3)), Some(127.0));
        // No unit (aspect ratio only) or a zero denominator: no resolution.
        assert_eq!(resolution(&resolution_block(72, 1, 1)), None);
        assert_eq!(resolution(&resolution_block(72, 0, 2)), None);
        assert_eq!(orientation(&resolution_block(72, 1, 2)), None);
    }

    #[test]
    fn the_orientation_is_reset_in_place() {
        for big_endian in [true, false] {
            let mut exif = block(big_endian, 6);
            set_orientation(&mut exif, 1);
            assert_eq!(orientation(&exif), Some(1));
            let mut raw = exif[6..].to_vec();
            set_orientation(&mut raw, 3);
            assert_eq!(orientation(&raw), Some(3));
        }
        let mut other = resolution_block(72, 1, 2);
        let before = other.clone();
        set_orientation(&mut other, 1);
        assert_eq!(other, before);
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
