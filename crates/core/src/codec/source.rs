//! Where encoded input comes from: a buffer already in memory, or an open file read in
//! pieces, so that decoding a file never needs the whole file in one `Vec`.
//!
//! A [`Source`] is read positionally (`read_at`), never past the length it reports:
//! for a file that is its size when it was opened, so a file that grows meanwhile is
//! still read only that far, and one that shrinks reads as truncated (an error from the
//! decoder, never a fault, as a memory map would give). Decoders see a source through a
//! [`SourceReader`] (`Read + Seek`) or, for byte-level parsing of headers and markers,
//! through a [`Window`].

use std::io::{self, Read, Seek, SeekFrom};

/// Encoded bytes that can be read at any offset.
pub trait Source: Sync {
    /// The number of bytes; nothing at or past it is ever read.
    fn len(&self) -> u64;

    /// Reads up to `buf.len()` bytes at `offset` into `buf`; `Ok(0)` at or past the end.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;

    /// All the bytes, when they are in memory already (no copy is then made).
    fn as_slice(&self) -> Option<&[u8]> {
        None
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads from a slice at `offset`, as [`Source::read_at`] does.
fn slice_read_at(bytes: &[u8], offset: u64, buf: &mut [u8]) -> usize {
    let rest = usize::try_from(offset)
        .ok()
        .and_then(|at| bytes.get(at..))
        .unwrap_or_default();
    let n = rest.len().min(buf.len());
    buf[..n].copy_from_slice(&rest[..n]);
    n
}

/// Bytes in memory (a slice, or a vector a caller handed over) read as a source.
macro_rules! in_memory_source {
    ($($t:ty),*) => {$(
        impl Source for $t {
            fn len(&self) -> u64 {
                <[u8]>::len(self) as u64
            }

            fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
                Ok(slice_read_at(self, offset, buf))
            }

            fn as_slice(&self) -> Option<&[u8]> {
                Some(self)
            }
        }
    )*};
}

in_memory_source!(&[u8], Vec<u8>);

/// Fills `buf` from `offset` as far as the source goes; returns how many bytes were read
/// (fewer than `buf.len()` only at the end of the source).
pub fn read_fully_at(src: &dyn Source, mut offset: u64, mut buf: &mut [u8]) -> io::Result<usize> {
    let mut total = 0;
    while !buf.is_empty() {
        match src.read_at(offset, buf) {
            Ok(0) => break,
            Ok(n) => {
                total += n;
                offset += n as u64;
                buf = &mut buf[n..];
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

/// Up to `len` bytes from the start of `src`, copied into a new `Vec`.
pub fn prefix(src: &dyn Source, len: u64) -> io::Result<Vec<u8>> {
    let want = usize::try_from(len.min(src.len()))
        .map_err(|_| io::Error::other("input is larger than this platform's address space"))?;
    let mut bytes = vec![0; want];
    let got = read_fully_at(src, 0, &mut bytes)?;
    bytes.truncate(got);
    Ok(bytes)
}

/// A source as `Read + Seek`, from a position of its own. Wrap it in a `BufReader` for
/// decoders that read a few bytes at a time.
pub struct SourceReader<'a> {
    src: &'a dyn Source,
    pos: u64,
}

impl<'a> SourceReader<'a> {
    pub fn new(src: &'a dyn Source) -> Self {
        Self { src, pos: 0 }
    }
}

impl Read for SourceReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.src.read_at(self.pos, buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SourceReader<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::End(delta) => self.src.len().checked_add_signed(delta),
            SeekFrom::Current(delta) => self.pos.checked_add_signed(delta),
        };
        self.pos = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of input",
            )
        })?;
        Ok(self.pos)
    }
}

/// The bytes a [`Window`] holds at once when its source is not in memory.
const WINDOW_BYTES: usize = 64 << 10;

/// Random access to a source's bytes for parsers that walk markers and chunk headers:
/// a slice of a source in memory, or a cached window of [`WINDOW_BYTES`] (more when a
/// longer run is asked for) re-read from a file where a read falls outside it.
pub struct Window<'a> {
    src: &'a dyn Source,
    start: u64,
    buf: Vec<u8>,
}

impl<'a> Window<'a> {
    pub fn new(src: &'a dyn Source) -> Self {
        Self {
            src,
            start: 0,
            buf: Vec::new(),
        }
    }

    /// The length of the source.
    pub fn source_len(&self) -> u64 {
        self.src.len()
    }

    /// Exactly the `n` bytes at `pos`, or `None` when the source ends first (or cannot
    /// be read).
    pub fn get(&mut self, pos: u64, n: usize) -> Option<&[u8]> {
        if let Some(all) = self.src.as_slice() {
            let at = usize::try_from(pos).ok()?;
            return all.get(at..at.checked_add(n)?);
        }
        let end = pos.checked_add(n as u64)?;
        if pos < self.start || end > self.held_end() {
            self.refill(pos, n);
        }
        let chunk = self.held_from(pos, n);
        (chunk.len() == n).then_some(chunk)
    }

    /// The byte at `pos`.
    pub fn byte(&mut self, pos: u64) -> Option<u8> {
        self.get(pos, 1).map(|b| b[0])
    }

    /// Between 1 and `n` bytes at `pos` (what the window holds from there, read anew
    /// only when `pos` lies outside it), or none at or past the end of the source or
    /// when it cannot be read. For scanning forward a window at a time.
    pub fn chunk(&mut self, pos: u64, n: usize) -> &[u8] {
        if let Some(all) = self.src.as_slice() {
            let Some(rest) = usize::try_from(pos).ok().and_then(|at| all.get(at..)) else {
                return &[];
            };
            return &rest[..n.min(rest.len())];
        }
        if pos < self.start || pos >= self.held_end() {
            self.refill(pos, n);
        }
        self.held_from(pos, n)
    }

    fn held_end(&self) -> u64 {
        self.start + self.buf.len() as u64
    }

    /// Reads the window anew from `pos`: at least `n` bytes (up to the end).
    fn refill(&mut self, pos: u64, n: usize) {
        self.start = pos;
        self.buf.resize(n.max(WINDOW_BYTES), 0);
        let got = read_fully_at(self.src, pos, &mut self.buf).unwrap_or(0);
        self.buf.truncate(got);
    }

    /// Up to `n` held bytes from `pos` (none when `pos` is not held).
    fn held_from(&self, pos: u64, n: usize) -> &[u8] {
        let rest = pos
            .checked_sub(self.start)
            .and_then(|from| usize::try_from(from).ok())
            .and_then(|from| self.buf.get(from..))
            .unwrap_or_default();
        &rest[..n.min(rest.len())]
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A source that is not in memory (like a file): every read goes through
    /// `read_at`, at most `step` bytes at a time, and the reads are counted.
    pub(crate) struct Chunked<'a> {
        pub bytes: &'a [u8],
        pub step: usize,
        pub reads: std::sync::atomic::AtomicUsize,
    }

    impl<'a> Chunked<'a> {
        pub(crate) fn new(bytes: &'a [u8], step: usize) -> Self {
            Self {
                bytes,
                step,
                reads: Default::default(),
            }
        }
    }

    impl Source for Chunked<'_> {
        fn len(&self) -> u64 {
            self.bytes.len() as u64
        }

        fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
            self.reads
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let n = buf.len().min(self.step);
            Ok(slice_read_at(self.bytes, offset, &mut buf[..n]))
        }
    }

    #[test]
    fn windows_and_readers_see_the_same_bytes_as_the_slice() {
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let chunked = Chunked::new(&bytes, 1000);
        for src in [&bytes as &dyn Source, &chunked] {
            let mut w = Window::new(src);
            assert_eq!(w.get(5, 3), Some(&bytes[5..8]));
            assert_eq!(w.get(150_000, 70_000), None, "runs past the end");
            assert_eq!(w.chunk(150_000, 70_000), &bytes[150_000..]);
            assert_eq!(w.get(199_999, 1), Some(&bytes[199_999..]));
            assert_eq!(w.byte(200_000), None);
            assert_eq!(w.get(10, 65_536 * 2), Some(&bytes[10..10 + 131_072]));
            assert_eq!(w.chunk(u64::MAX, 4), &[] as &[u8]);

            let mut all = Vec::new();
            let mut reader = SourceReader::new(src);
            reader.read_to_end(&mut all).expect("reads");
            assert_eq!(all, bytes);
            reader.seek(SeekFrom::End(-10)).expect("seeks");
            let mut tail = Vec::new();
            reader.read_to_end(&mut tail).expect("reads");
            assert_eq!(tail, &bytes[bytes.len() - 10..]);
            assert!(reader.seek(SeekFrom::Current(-1_000_000)).is_err());
            assert_eq!(prefix(src, 100).expect("prefix"), &bytes[..100]);
            assert_eq!(prefix(src, 1 << 30).expect("all").len(), bytes.len());
        }
    }

    /// Scanning forward with `chunk`, a few bytes at a time (as a marker search that
    /// stops at every 0xFF does), reads each byte of a file once.
    #[test]
    fn scanning_forward_reads_each_byte_once() {
        let bytes = vec![7u8; 1 << 20];
        let src = Chunked::new(&bytes, 1 << 20);
        let mut w = Window::new(&src);
        let mut pos = 0u64;
        while !w.chunk(pos, 64 << 10).is_empty() {
            pos += 100;
        }
        assert!((1 << 20..(1 << 20) + 100).contains(&pos), "{pos}");
        let reads = src.reads.load(std::sync::atomic::Ordering::Relaxed);
        assert!(reads <= (1 << 20) / WINDOW_BYTES + 2, "{reads} reads");
    }
}
