//! A byte-mutation fuzzer for the image pipeline, on stable Rust with no extra crates.
//!
//! Seeds are real fixtures (`__test__/fixtures/photos/`) plus small images generated
//! here in the formats the fixtures lack (WebP lossy and lossless, TIFF 8/16-bit, BMP,
//! 16-bit and grey+alpha PNG, grey, progressive, CMYK and EXIF-rotated JPEG, an
//! animated GIF and WebP, AVIF with and without alpha). Each case takes one seed, applies one to four mutations (bit flips,
//! interesting byte values, 16/32-bit interesting values, truncation, duplicated or
//! deleted ranges, random bytes, and format-aware header edits that set the declared
//! width/height, or a TIFF tag, to huge, zero or odd values, with the PNG CRC fixed
//! half of the time so the edit gets past the chunk check), and runs
//! `corepool_core::process` with a small resize and a few option
//! variations, inside `catch_unwind`.
//!
//! What counts as a bug:
//! - a panic (the pipeline must turn every bad input into a coded `Failure`);
//! - a success whose output does not decode again or does not have the reported size;
//! - a peak of live heap allocations above `PEAK_BOUND_PER_WORKER` per worker (below);
//! - a crash (SIGSEGV/SIGBUS from a memory-safety bug, or an abort, e.g. an allocation
//!   refused by `HARD_CAP`): it kills the test binary, but the seed and the cases in
//!   flight are printed first (to stderr, from a signal handler, without allocating).
//!
//! Runs:
//! - `cargo test --release --test fuzz -- --nocapture`: the default pass, a fixed seed
//!   and `DEFAULT_CASES` cases (a few seconds on 2 cores).
//! - `COREPOOL_FUZZ_SECONDS=600 cargo test --release --test fuzz -- --nocapture`: a long
//!   pass with a time-based seed, printing cases/s as it goes (`node fuzz/run.mjs`).
//! - `COREPOOL_FUZZ_SEED=<n>` fixes the seed of a long pass; `COREPOOL_FUZZ_CASES=<n>`
//!   sets the number of cases of a fixed-size pass; `COREPOOL_FUZZ_THREADS=<n>` the
//!   worker threads (default 2).
//! - `COREPOOL_FUZZ_REPLAY=<seed>:<case>` reruns one case and prints what it did and how
//!   much it allocated; every case is a pure function of (seed, case index).
//!   `COREPOOL_FUZZ_TRAP_BYTES=<n>` prints a backtrace for every allocation of at least
//!   n bytes (with a replay: who allocates that much). Failing inputs are also saved under
//!   `target/tmp/fuzz-findings/`.
//! - Every unexpected outcome counts as a bug: nothing is skipped. Every bug found
//!   (KB1-KB9, all fixed) has a regression test at the end of this file, run by default.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use corepool_core::codec::{self as decode, ChromaSubsampling, EncodeSettings, TiffCompression};
use corepool_core::ops::{
    Blend, Blur, Extend, Layer, LayerInput, Modulate, Negate, Normalise, Placement, Region,
    Sharpen, SharpenParams, Trim,
};
use corepool_core::{
    CancelFlag, Encoded, ErrorCode, Failure, Fit, Format, ProcessOptions, Raster, ResizeRequest,
};

/// The pipeline, never cancelled.
fn process(bytes: &[u8], opts: &ProcessOptions) -> Result<Encoded, Failure> {
    corepool_core::process(bytes, opts, &CancelFlag::new())
}

// ---------------------------------------------------------------------------------
// A counting allocator: live bytes, their peak, and a hard cap.
// ---------------------------------------------------------------------------------

/// The pixel limit the fuzzer runs with (instead of the default 268,402,689), so that a
/// mutated header that stays under the limit cannot legitimately need gigabytes.
const LIMIT_INPUT_PIXELS: u64 = 16_000_000;

/// The bound on the peak of live heap bytes, per worker thread (cases in flight at
/// once); the whole run is checked against `PEAK_BOUND_PER_WORKER x max(threads, 2)`,
/// i.e. 896 MiB for the default 2 workers.
///
/// Why 448 MiB per worker: the largest image a case may legitimately decode is
/// `LIMIT_INPUT_PIXELS` = 16 Mpx. The worst legitimate path is a 16-bit RGBA decode
/// (16 Mpx x 8 B = 128 MiB, allocated up front by the `image` crate) converted to 8-bit
/// RGBA (64 MiB) while the 16-bit buffer is still alive: 192 MiB. After that the 16-bit
/// buffer is gone and resampling holds the 8-bit raster plus its premultiplied copy
/// (128 MiB). The premultiplied copy then stays alive in the worker's thread-local
/// resizer (KB8): up to 64 MiB retained per worker, on top of the next case's 192 MiB.
/// A non-full-screen GIF frame of 16 Mpx needs 64 MiB (RGBA frame) + 16 MiB (indices)
/// plus 64 MiB (canvas). The largest is lossless JPEG, which `jpeg-decoder` decodes into
/// 16-bit planes (6 B/px for RGB) while it holds the 32-bit differences (12 B/px, and up
/// to twice that where a cloned `Vec` grows by doubling): about 300 MiB at 16 Mpx,
/// measured 340 MiB above the baseline for a 227x65535 mutation of testimgl.jpg,
/// resize included, on top of the up to 64 MiB the worker's resizer retains from an
/// earlier case (two such cases at once measured 808 MiB, seed 5725206982702781687, cases
/// 236609 and 236050). With the input (< 1 MiB) and the small output, 448 MiB covers every
/// legitimate case, while a decoder that sizes a buffer from an unchecked length field
/// (rather than from the checked width x height) shows up as hundreds of MiB to GiB and
/// fails it (KB7 was found this way). Allocations made by C code (libjpeg, libwebp) do
/// not go through this allocator; the peak RSS printed in the summary covers them.
const PEAK_BOUND_PER_WORKER: usize = 448 << 20;

/// Allocations that would take live bytes above this are refused (the allocator
/// returns null): a `try_reserve` then fails gracefully, anything else aborts with
/// "memory allocation failed" after we print the cases in flight. Keeps a runaway
/// decoder from taking the machine down.
const HARD_CAP: usize = 3 << 30;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static REFUSED: AtomicUsize = AtomicUsize::new(0);

impl Counting {
    /// Accounts `size` more bytes; false (and nothing accounted) above `HARD_CAP`.
    fn grow(size: usize) -> bool {
        let now = LIVE.fetch_add(size, Ordering::Relaxed) + size;
        if now > HARD_CAP {
            LIVE.fetch_sub(size, Ordering::Relaxed);
            REFUSED.fetch_add(1, Ordering::Relaxed);
            report_refusal(size);
            return false;
        }
        if size >= TRAP_BYTES.load(Ordering::Relaxed) {
            trap(size);
        }
        let before = PEAK.fetch_max(now, Ordering::Relaxed);
        if now > before && now >= PEAK_SNAPSHOT_FLOOR {
            for (slot, case) in PEAK_CASES.iter().zip(&IN_FLIGHT) {
                slot.store(case.load(Ordering::Relaxed), Ordering::Relaxed);
            }
        }
        true
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !Self::grow(layout.size()) {
            return std::ptr::null_mut();
        }
        let p = System.alloc(layout);
        if p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !Self::grow(layout.size()) {
            return std::ptr::null_mut();
        }
        let p = System.alloc_zeroed(layout);
        if p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = layout.size();
        if new_size > old {
            if !Self::grow(new_size - old) {
                return std::ptr::null_mut();
            }
            let p = System.realloc(ptr, layout, new_size);
            if p.is_null() {
                LIVE.fetch_sub(new_size - old, Ordering::Relaxed);
            }
            p
        } else {
            let p = System.realloc(ptr, layout, new_size);
            if !p.is_null() {
                LIVE.fetch_sub(old - new_size, Ordering::Relaxed);
            }
            p
        }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations of at least this many bytes print a backtrace (set from
/// `COREPOOL_FUZZ_TRAP_BYTES`, to find out who allocates a suspicious amount).
static TRAP_BYTES: AtomicUsize = AtomicUsize::new(usize::MAX);

thread_local! {
    static IN_TRAP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn trap(size: usize) {
    if IN_TRAP.with(|t| t.replace(true)) {
        return;
    }
    eprintln!(
        "fuzz: allocation of {size} bytes at\n{}",
        std::backtrace::Backtrace::force_capture()
    );
    IN_TRAP.with(|t| t.set(false));
}

/// The run's seed and, per worker, the case in flight (+1; 0 = none), for the message
/// printed when an allocation is refused (likely followed by an abort).
static RUN_SEED: AtomicU64 = AtomicU64::new(0);
const MAX_WORKERS: usize = 64;
static IN_FLIGHT: [AtomicU64; MAX_WORKERS] = [const { AtomicU64::new(0) }; MAX_WORKERS];
/// The cases in flight (+1) when the peak was last raised above `PEAK_SNAPSHOT_FLOOR`:
/// the suspects when the peak is over its bound.
static PEAK_CASES: [AtomicU64; MAX_WORKERS] = [const { AtomicU64::new(0) }; MAX_WORKERS];
const PEAK_SNAPSHOT_FLOOR: usize = 128 << 20;

/// Writes "fuzz: <what> <number>; seed S; cases in flight: a b" to stderr from a stack
/// buffer with a raw `write(2)`: no heap allocation and no locks, so it is safe inside
/// the allocator and inside a signal handler.
fn report_in_flight(what: &[u8], number: Option<u64>) {
    let mut buf = [0u8; 1024];
    let mut len = 0;
    let mut put = |bytes: &[u8], len: &mut usize| {
        let n = bytes.len().min(buf.len() - *len);
        buf[*len..*len + n].copy_from_slice(&bytes[..n]);
        *len += n;
    };
    let mut num = [0u8; 20];
    let digits = |mut v: u64, num: &mut [u8; 20]| -> usize {
        let mut i = num.len();
        loop {
            i -= 1;
            num[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                return i;
            }
        }
    };
    put(b"\nfuzz: ", &mut len);
    put(what, &mut len);
    if let Some(n) = number {
        let at = digits(n, &mut num);
        put(&num[at..], &mut len);
    }
    put(b"; seed ", &mut len);
    let at = digits(RUN_SEED.load(Ordering::Relaxed), &mut num);
    put(&num[at..], &mut len);
    put(b"; cases in flight:", &mut len);
    for slot in &IN_FLIGHT {
        let v = slot.load(Ordering::Relaxed);
        if v != 0 {
            put(b" ", &mut len);
            let at = digits(v - 1, &mut num);
            put(&num[at..], &mut len);
        }
    }
    put(b" (replay: COREPOOL_FUZZ_REPLAY=<seed>:<case>)\n", &mut len);
    // SAFETY: writing an initialised buffer to fd 2.
    unsafe { sys::write(2, buf.as_ptr(), len) };
}

fn report_refusal(size: usize) {
    report_in_flight(b"HARD_CAP refused an allocation of ", Some(size as u64));
}

/// The few libc functions used, declared here rather than adding the libc crate.
#[cfg(unix)]
mod sys {
    extern "C" {
        pub fn write(fd: i32, buf: *const u8, count: usize) -> isize;
        pub fn signal(signum: i32, handler: usize) -> usize;
    }
    pub const SIGILL: i32 = 4;
    pub const SIGABRT: i32 = 6;
    pub const SIGBUS: i32 = 7;
    pub const SIGFPE: i32 = 8;
    pub const SIGSEGV: i32 = 11;
    pub const SIG_DFL: usize = 0;
}

/// On a crash signal (a memory-safety bug in a decoder, an abort), prints the seed and
/// the cases in flight, then lets the default action kill the process.
#[cfg(unix)]
fn install_crash_reporter() {
    extern "C" fn on_crash(signum: i32) {
        report_in_flight(b"CRASH: signal ", Some(signum as u64));
        // SAFETY: restoring the default action; returning re-raises the fault (or, for
        // SIGABRT, abort() raises again) and the process dies with the same signal.
        unsafe { sys::signal(signum, sys::SIG_DFL) };
    }
    for signum in [
        sys::SIGSEGV,
        sys::SIGBUS,
        sys::SIGILL,
        sys::SIGFPE,
        sys::SIGABRT,
    ] {
        // SAFETY: installing a handler that only does async-signal-safe work.
        unsafe { sys::signal(signum, on_crash as extern "C" fn(i32) as usize) };
    }
}

#[cfg(not(unix))]
fn install_crash_reporter() {}

/// Peak resident set size of this process (VmHWM), in bytes, if readable.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

// ---------------------------------------------------------------------------------
// A seeded RNG (xorshift64*, seeded through splitmix64).
// ---------------------------------------------------------------------------------

struct Rng(u64);

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// The RNG of case `case` of run `seed`: independent of every other case.
    fn for_case(seed: u64, case: u64) -> Self {
        let s = splitmix64(seed ^ splitmix64(case.wrapping_add(1)));
        Self(if s == 0 { 0x2545_F491_4F6C_DD1D } else { s })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------------
// Seeds.
// ---------------------------------------------------------------------------------

struct Seed {
    name: String,
    bytes: Vec<u8>,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../__test__/fixtures/photos")
}

/// A noisy gradient, so that encoders produce real entropy-coded data.
fn test_raster(w: u32, h: u32, channels: u8) -> Raster {
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    let mut data = Vec::with_capacity((w * h) as usize * channels as usize);
    for y in 0..h {
        for x in 0..w {
            let noise = (rng.next() % 24) as u32;
            let px = [
                ((x * 255 / w.max(1)) + noise).min(255) as u8,
                ((y * 255 / h.max(1)) + noise).min(255) as u8,
                (((x + y) * 7 + noise) % 256) as u8,
                if (x / 4 + y / 4) % 3 == 0 {
                    0
                } else {
                    200 + (noise as u8)
                },
            ];
            match channels {
                1 => data.push(px[0]),
                2 => data.extend_from_slice(&[px[0], px[3]]),
                3 => data.extend_from_slice(&px[..3]),
                _ => data.extend_from_slice(&px),
            }
        }
    }
    Raster::new(w, h, channels, data).expect("test raster sizes")
}

fn corepool_encode(raster: &Raster, format: Format, lossless: bool) -> Vec<u8> {
    decode::encode(
        raster,
        format,
        &EncodeSettings {
            lossless,
            ..EncodeSettings::quality(80)
        },
    )
    .unwrap_or_else(|e| panic!("seed encode {format:?}: {e}"))
}

fn image_encode<I>(image: I, format: image::ImageFormat) -> Vec<u8>
where
    image::DynamicImage: From<I>,
{
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::from(image)
        .write_to(&mut out, format)
        .unwrap_or_else(|e| panic!("seed encode {format:?}: {e}"));
    out.into_inner()
}

/// A TIFF-structured EXIF APP1 segment with one Orientation entry.
fn exif_app1(orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let mut seg = vec![0xFF, 0xE1];
    let len = (2 + 6 + tiff.len()) as u16;
    seg.extend_from_slice(&len.to_be_bytes());
    seg.extend_from_slice(b"Exif\0\0");
    seg.extend_from_slice(&tiff);
    seg
}

fn mozjpeg_encode(
    raster: &Raster,
    colour: mozjpeg::ColorSpace,
    data: &[u8],
    progressive: bool,
) -> Vec<u8> {
    let mut c = mozjpeg::Compress::new(colour);
    c.set_size(raster.width as usize, raster.height as usize);
    c.set_quality(85.0);
    if progressive {
        c.set_progressive_mode();
    }
    let mut started = c.start_compress(Vec::new()).expect("mozjpeg start");
    started.write_scanlines(data).expect("mozjpeg scanlines");
    started.finish().expect("mozjpeg finish")
}

fn generated_seeds() -> Vec<Seed> {
    let rgb = test_raster(48, 32, 3);
    let rgba = test_raster(40, 30, 4);
    let grey = test_raster(36, 20, 1);
    let mut seeds = vec![
        Seed {
            name: "gen-lossy.webp".into(),
            bytes: corepool_encode(&rgb, Format::Webp, false),
        },
        Seed {
            name: "gen-lossy-alpha.webp".into(),
            bytes: corepool_encode(&rgba, Format::Webp, false),
        },
        Seed {
            name: "gen-lossless.webp".into(),
            bytes: corepool_encode(&rgba, Format::Webp, true),
        },
        Seed {
            name: "gen-rgb.tiff".into(),
            bytes: corepool_encode(&rgb, Format::Tiff, false),
        },
        Seed {
            name: "gen-grey.jpg".into(),
            bytes: corepool_encode(&grey, Format::Jpeg, false),
        },
    ];
    // 16-bit TIFF and PNG, grey+alpha PNG, BMP (corepool reads BMP but cannot write it).
    let rgba16 = image::ImageBuffer::<image::Rgba<u16>, _>::from_fn(24, 18, |x, y| {
        image::Rgba([
            (x * 2700) as u16,
            (y * 3600) as u16,
            40000,
            if x % 3 == 0 { 0 } else { 65535 },
        ])
    });
    seeds.push(Seed {
        name: "gen-rgba16.tiff".into(),
        bytes: image_encode(rgba16.clone(), image::ImageFormat::Tiff),
    });
    seeds.push(Seed {
        name: "gen-rgba16.png".into(),
        bytes: image_encode(rgba16, image::ImageFormat::Png),
    });
    let la = image::ImageBuffer::<image::LumaA<u8>, _>::from_fn(20, 12, |x, y| {
        image::LumaA([(x * 12) as u8, (y * 20) as u8])
    });
    seeds.push(Seed {
        name: "gen-grey-alpha.png".into(),
        bytes: image_encode(la, image::ImageFormat::Png),
    });
    let rgb_img = image::RgbImage::from_raw(rgb.width, rgb.height, rgb.data.clone()).expect("rgb");
    seeds.push(Seed {
        name: "gen-rgb.bmp".into(),
        bytes: image_encode(rgb_img, image::ImageFormat::Bmp),
    });
    let rgba_img =
        image::RgbaImage::from_raw(rgba.width, rgba.height, rgba.data.clone()).expect("rgba");
    seeds.push(Seed {
        name: "gen-rgba.bmp".into(),
        bytes: image_encode(rgba_img, image::ImageFormat::Bmp),
    });
    // JPEG variants: progressive, CMYK (Adobe-style inverted), EXIF orientation 6.
    seeds.push(Seed {
        name: "gen-progressive.jpg".into(),
        bytes: mozjpeg_encode(&rgb, mozjpeg::ColorSpace::JCS_RGB, &rgb.data, true),
    });
    let cmyk: Vec<u8> = rgb
        .data
        .chunks(3)
        .flat_map(|p| [255 - p[0] / 2, 255 - p[1] / 2, 255 - p[2] / 2, 230])
        .collect();
    seeds.push(Seed {
        name: "gen-cmyk.jpg".into(),
        bytes: mozjpeg_encode(&rgb, mozjpeg::ColorSpace::JCS_CMYK, &cmyk, false),
    });
    let plain = corepool_encode(&rgb, Format::Jpeg, false);
    let mut oriented = plain[..2].to_vec();
    oriented.extend_from_slice(&exif_app1(6));
    oriented.extend_from_slice(&plain[2..]);
    seeds.push(Seed {
        name: "gen-orient6.jpg".into(),
        bytes: oriented,
    });
    // AVIF (rav1e through ravif): colour, and colour with an alpha item.
    seeds.push(Seed {
        name: "gen-rgb.avif".into(),
        bytes: corepool_encode(&rgb, Format::Avif, false),
    });
    seeds.push(Seed {
        name: "gen-alpha.avif".into(),
        bytes: corepool_encode(&rgba, Format::Avif, false),
    });
    // The encoder options' outputs: palette PNG at 1, 2, 4 and 8 bits (tRNS for the
    // alpha), LZW and PackBits TIFF (Deflate is the default above), progressive 4:4:4
    // MozJPEG, a quantised GIF with a transparent entry, near-lossless WebP.
    let with = |raster: &Raster, format, settings: EncodeSettings| {
        decode::encode(raster, format, &settings)
            .unwrap_or_else(|e| panic!("seed encode {format:?}: {e}"))
    };
    for colours in [2u16, 4, 16, 256] {
        seeds.push(Seed {
            name: format!("gen-palette{colours}.png"),
            bytes: with(
                &rgba,
                Format::Png,
                EncodeSettings {
                    palette: true,
                    colours,
                    ..EncodeSettings::default()
                },
            ),
        });
    }
    for (name, tiff_compression) in [
        ("gen-lzw.tiff", TiffCompression::Lzw),
        ("gen-packbits.tiff", TiffCompression::Packbits),
    ] {
        seeds.push(Seed {
            name: name.into(),
            bytes: with(
                &rgba,
                Format::Tiff,
                EncodeSettings {
                    tiff_compression,
                    ..EncodeSettings::default()
                },
            ),
        });
    }
    seeds.push(Seed {
        name: "gen-mozjpeg444.jpg".into(),
        bytes: with(
            &rgb,
            Format::Jpeg,
            EncodeSettings {
                mozjpeg: true,
                progressive: true,
                chroma_subsampling: Some(ChromaSubsampling::Yuv444),
                ..EncodeSettings::default()
            },
        ),
    });
    seeds.push(Seed {
        name: "gen-quantised.gif".into(),
        bytes: with(
            &rgba,
            Format::Gif,
            EncodeSettings {
                colours: 32,
                ..EncodeSettings::default()
            },
        ),
    });
    seeds.push(Seed {
        name: "gen-near-lossless.webp".into(),
        bytes: with(
            &rgba,
            Format::Webp,
            EncodeSettings {
                near_lossless: true,
                quality: Some(60),
                ..EncodeSettings::default()
            },
        ),
    });
    // An animated GIF: three frames.
    let mut gif = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut gif);
        encoder
            .set_repeat(image::codecs::gif::Repeat::Infinite)
            .expect("repeat");
        for i in 0..3u8 {
            let frame = image::RgbaImage::from_fn(20, 16, |x, y| {
                image::Rgba([
                    x as u8 * 10,
                    y as u8 * 12,
                    i * 80,
                    if x == 0 { 0 } else { 255 },
                ])
            });
            encoder
                .encode_frame(image::Frame::new(frame))
                .expect("gif frame");
        }
    }
    seeds.push(Seed {
        name: "gen-animated.gif".into(),
        bytes: gif,
    });
    // An animated WebP: three frames of different durations, played twice.
    let config = webp::WebPConfig::new().expect("webp config");
    let frames: Vec<Raster> = (0..3u8)
        .map(|i| Raster::filled(18, 12, 4, [i * 90, 40, 200 - i * 60, 255 - i * 50]))
        .collect();
    let mut encoder = webp::AnimEncoder::new(18, 12, &config);
    encoder.set_loop_count(2);
    for (i, frame) in frames.iter().enumerate() {
        encoder.add_frame(webp::AnimFrame::from_rgba(
            &frame.data,
            18,
            12,
            i as i32 * 90,
        ));
    }
    seeds.push(Seed {
        name: "gen-animated.webp".into(),
        bytes: encoder.try_encode().expect("animated webp").to_vec(),
    });
    // SVG, plain and gzipped (SVGZ).
    let svg = generated_svg();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, svg.as_bytes()).expect("gzip");
    seeds.push(Seed {
        name: "gen.svgz".into(),
        bytes: gz.finish().expect("gzip"),
    });
    seeds.push(Seed {
        name: "gen.svg".into(),
        bytes: svg.into_bytes(),
    });
    seeds
}

fn load_seeds() -> Vec<Seed> {
    let mut seeds: Vec<Seed> = [
        "rocket.jpg",
        "hubble_deep_field.jpg",
        "coffee.png",
        "horse.png",
        "logo.png",
        "no_time_for_that_tiny.gif",
    ]
    .iter()
    .map(|name| {
        let path = fixtures_dir().join(name);
        Seed {
            name: (*name).to_owned(),
            bytes: std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        }
    })
    .collect();
    // Corpus files of the formats and codings corepool reads with its own code:
    // lossless JPEG, libvips' format, CCITT Group 3 TIFF, damaged GIFs it repairs.
    let corpora = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../__test__/corpora");
    for name in [
        "sharp/test/fixtures/testimgl.jpg",
        "sharp/test/fixtures/vfile.v",
        "sharp/test/fixtures/G31D.TIF",
        "pillow/Tests/images/no_palette.gif",
        "image-gif/tests/regression/issue-209-extension-block-type.gif",
    ] {
        let path = corpora.join(name);
        seeds.push(Seed {
            name: name.rsplit('/').next().unwrap_or(name).to_owned(),
            bytes: std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        });
    }
    // SVG (resvg): sharp's three SVG fixtures.
    let svg_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../__test__/fixtures/svg");
    for name in ["check.svg", "circle.svg", "Wikimedia-logo.svg"] {
        let path = svg_dir.join(name);
        seeds.push(Seed {
            name: name.to_owned(),
            bytes: std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        });
    }
    seeds.extend(generated_seeds());
    seeds
}

/// An SVG that uses what a decoder has to get right: physical units and a viewBox,
/// text, a blur filter, a pattern, a gradient, `<use>`, and an embedded PNG.
fn generated_svg() -> String {
    use base64::Engine as _;
    let png = corepool_encode(&test_raster(6, 4, 4), Format::Png, false);
    let data = base64::engine::general_purpose::STANDARD.encode(png);
    format!(
        r##"<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="20mm" height="0.5in" viewBox="0 0 80 48">
  <defs>
    <filter id="b"><feGaussianBlur stdDeviation="1.5"/></filter>
    <pattern id="p" width="4" height="4" patternUnits="userSpaceOnUse">
      <rect width="2" height="2" fill="#c00"/>
    </pattern>
    <linearGradient id="g"><stop offset="0" stop-color="#09f"/><stop offset="1" stop-color="#fa0" stop-opacity="0.5"/></linearGradient>
    <circle id="c" r="6"/>
  </defs>
  <rect width="80" height="48" fill="url(#p)"/>
  <ellipse cx="40" cy="24" rx="30" ry="14" fill="url(#g)" filter="url(#b)"/>
  <use xlink:href="#c" x="12" y="12" fill="green" stroke="black" stroke-width="2"/>
  <text x="4" y="44" font-family="sans-serif" font-size="10">corepool</text>
  <image x="60" y="4" width="16" height="12" xlink:href="data:image/png;base64,{data}"/>
</svg>
"##
    )
}

// ---------------------------------------------------------------------------------
// Mutations.
// ---------------------------------------------------------------------------------

const INTERESTING_8: [u8; 6] = [0, 0xFF, 0x7F, 0x80, 1, 0xFE];
const INTERESTING_16: [u16; 6] = [0, 0xFFFF, 0x7FFF, 0x8000, 1, 0x4000];
const INTERESTING_32: [u32; 7] = [
    0,
    0xFFFF_FFFF,
    0x7FFF_FFFF,
    0x8000_0000,
    1,
    0x0001_0000,
    0x00FF_FFFF,
];

/// A huge, zero, odd or random dimension of at most `bits` bits.
fn dimension(rng: &mut Rng, bits: u32) -> u32 {
    let max = if bits >= 32 {
        u32::MAX
    } else {
        (1u32 << bits) - 1
    };
    let v = match rng.below(9) {
        0 => 0,
        1 => 1,
        2 => max,
        3 => max / 2 + 1,
        4 => 65_535,
        5 => 4_000,   // big but under the fuzz pixel limit when square
        6 => 100_000, // 1e5 x small: fine for the limit, huge after width 64
        7 => 16_385,
        _ => rng.next() as u32,
    };
    v & max
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn put_be16(b: &mut [u8], at: usize, v: u16) {
    if at + 2 <= b.len() {
        b[at..at + 2].copy_from_slice(&v.to_be_bytes());
    }
}
fn put_le16(b: &mut [u8], at: usize, v: u16) {
    if at + 2 <= b.len() {
        b[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }
}
fn put_be32(b: &mut [u8], at: usize, v: u32) {
    if at + 4 <= b.len() {
        b[at..at + 4].copy_from_slice(&v.to_be_bytes());
    }
}
fn put_le32(b: &mut [u8], at: usize, v: u32) {
    if at + 4 <= b.len() {
        b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
}

/// Edits a dimension-like header field of the format the bytes start with. Returns a
/// description of the edit, or `None` when the format has no such field here.
fn header_edit(b: &mut [u8], rng: &mut Rng) -> Option<String> {
    match decode::sniff(b) {
        Some(Format::Png) => {
            // IHDR: width at 16, height at 20, bit depth 24, colour type 25; CRC at 29.
            if b.len() < 33 {
                return None;
            }
            let what = match rng.below(5) {
                0 => {
                    let v = dimension(rng, 31);
                    put_be32(b, 16, v);
                    format!("PNG IHDR width={v}")
                }
                1 => {
                    let v = dimension(rng, 31);
                    put_be32(b, 20, v);
                    format!("PNG IHDR height={v}")
                }
                2 => {
                    let (w, h) = (dimension(rng, 31), dimension(rng, 31));
                    put_be32(b, 16, w);
                    put_be32(b, 20, h);
                    format!("PNG IHDR {w}x{h}")
                }
                3 => {
                    let depth = *rng.pick(&[1u8, 2, 4, 8, 16, 0, 3, 255]);
                    b[24] = depth;
                    format!("PNG IHDR bit depth={depth}")
                }
                _ => {
                    let colour = *rng.pick(&[0u8, 2, 3, 4, 6, 1, 7, 255]);
                    b[25] = colour;
                    format!("PNG IHDR colour type={colour}")
                }
            };
            if rng.chance(60) {
                let crc = crc32(&b[12..29]);
                put_be32(b, 29, crc);
                Some(format!("{what} (CRC fixed)"))
            } else {
                Some(what)
            }
        }
        Some(Format::Jpeg) => {
            // The first SOFn: FF Cn (not C4, C8, CC), length, precision, height, width,
            // component count.
            let at = (2..b.len().saturating_sub(9)).find(|&i| {
                b[i] == 0xFF
                    && (0xC0..=0xCF).contains(&b[i + 1])
                    && ![0xC4, 0xC8, 0xCC].contains(&b[i + 1])
            })?;
            Some(match rng.below(4) {
                0 => {
                    let v = dimension(rng, 16) as u16;
                    put_be16(b, at + 5, v);
                    format!("JPEG SOF height={v}")
                }
                1 => {
                    let v = dimension(rng, 16) as u16;
                    put_be16(b, at + 7, v);
                    format!("JPEG SOF width={v}")
                }
                2 => {
                    let (w, h) = (dimension(rng, 16) as u16, dimension(rng, 16) as u16);
                    put_be16(b, at + 5, h);
                    put_be16(b, at + 7, w);
                    format!("JPEG SOF {w}x{h}")
                }
                _ => {
                    let n = *rng.pick(&[0u8, 1, 2, 3, 4, 5, 255]);
                    b[at + 9] = n;
                    format!("JPEG SOF components={n}")
                }
            })
        }
        Some(Format::Gif) => {
            if b.len() < 13 {
                return None;
            }
            Some(match rng.below(3) {
                0 => {
                    let (w, h) = (dimension(rng, 16) as u16, dimension(rng, 16) as u16);
                    put_le16(b, 6, w);
                    put_le16(b, 8, h);
                    format!("GIF screen {w}x{h}")
                }
                1 => {
                    // The first image descriptor: 2C left top width height (LE u16).
                    let at = (13..b.len().saturating_sub(9)).find(|&i| b[i] == 0x2C)?;
                    let (w, h) = (dimension(rng, 16) as u16, dimension(rng, 16) as u16);
                    put_le16(b, at + 5, w);
                    put_le16(b, at + 7, h);
                    format!("GIF frame@{at} {w}x{h}")
                }
                _ => {
                    let at = (13..b.len().saturating_sub(9)).find(|&i| b[i] == 0x2C)?;
                    let (x, y) = (dimension(rng, 16) as u16, dimension(rng, 16) as u16);
                    put_le16(b, at + 1, x);
                    put_le16(b, at + 3, y);
                    format!("GIF frame@{at} offset {x},{y}")
                }
            })
        }
        Some(Format::Bmp) => {
            if b.len() < 54 {
                return None;
            }
            Some(match rng.below(4) {
                0 => {
                    let v = dimension(rng, 32);
                    put_le32(b, 18, v);
                    format!("BMP width={}", v as i32)
                }
                1 => {
                    let random = dimension(rng, 32);
                    let v =
                        *rng.pick(&[random, (-4000i32) as u32, i32::MIN as u32, (-1i32) as u32]);
                    put_le32(b, 22, v);
                    format!("BMP height={}", v as i32)
                }
                2 => {
                    let v = *rng.pick(&[0u16, 1, 4, 8, 16, 24, 32, 64, 0xFFFF]);
                    put_le16(b, 28, v);
                    format!("BMP bpp={v}")
                }
                _ => {
                    let v = *rng.pick(&[0u32, 1, 2, 3, 4, 5, 6, 0xFFFF_FFFF]);
                    put_le32(b, 30, v);
                    format!("BMP compression={v}")
                }
            })
        }
        Some(Format::Webp) => {
            if b.len() < 30 {
                return None;
            }
            match &b[12..16] {
                b"VP8 " => {
                    // Frame tag (3), start code 9D 01 2A, then 14-bit width/height + scale.
                    let (w, h) = (dimension(rng, 16) as u16, dimension(rng, 16) as u16);
                    put_le16(b, 26, w);
                    put_le16(b, 28, h);
                    Some(format!("WebP VP8 {w:#x}x{h:#x}"))
                }
                b"VP8L" => {
                    // Signature 0x2F, then (w-1) 14 bits, (h-1) 14 bits, alpha, version.
                    let (w, h) = (dimension(rng, 14), dimension(rng, 14));
                    let bits = (w.saturating_sub(1) & 0x3FFF)
                        | ((h.saturating_sub(1) & 0x3FFF) << 14)
                        | (u32::from(b[24]) & 0xF0) << 24;
                    put_le32(b, 21, bits);
                    Some(format!("WebP VP8L {w}x{h}"))
                }
                b"VP8X" => {
                    // Canvas (w-1) and (h-1), 24-bit LE at 24 and 27.
                    let (w, h) = (dimension(rng, 24), dimension(rng, 24));
                    let (w1, h1) = (w.saturating_sub(1), h.saturating_sub(1));
                    b[24..27].copy_from_slice(&w1.to_le_bytes()[..3]);
                    b[27..30].copy_from_slice(&h1.to_le_bytes()[..3]);
                    Some(format!("WebP VP8X canvas {w}x{h}"))
                }
                _ => {
                    let v = *rng.pick(&INTERESTING_32);
                    put_le32(b, 4, v);
                    Some(format!("WebP RIFF size={v}"))
                }
            }
        }
        Some(Format::Tiff) => tiff_edit(b, rng),
        Some(Format::Avif) => {
            // The ispe box of an item: version/flags, then width and height (BE32); or
            // an iloc extent's length/offset fields, by the same token.
            let boxes: Vec<usize> = b
                .windows(4)
                .enumerate()
                .filter(|(_, w)| matches!(*w, b"ispe" | b"iloc" | b"ipma" | b"av1C"))
                .map(|(i, _)| i)
                .collect();
            if boxes.is_empty() {
                return None;
            }
            let at = *rng.pick(&boxes);
            let field = at + 8 + 4 * rng.below(4);
            let v = if &b[at..at + 4] == b"ispe" {
                dimension(rng, 32)
            } else {
                *rng.pick(&INTERESTING_32)
            };
            put_be32(b, field, v);
            Some(format!(
                "AVIF {} field at {field} = {v:#x}",
                String::from_utf8_lossy(&b[at..at + 4])
            ))
        }
        _ => None,
    }
}

/// Edits an SVG as text: one size-like attribute's value set to a huge, zero, negative,
/// tiny or malformed length, or an element that stresses the renderer inserted after the
/// root's start tag (a huge blur, a degenerate pattern, a self-reference, a file and a
/// URL reference that must not be read, deep nesting).
fn svg_edit(b: &mut Vec<u8>, rng: &mut Rng) -> String {
    const VALUES: [&str; 14] = [
        "0", "-1", "1e9", "99999", "100%", "1e-9", "NaN", "abc", "1e308mm", "4000", "0.5in", "3em",
        "", "0 0 0 0",
    ];
    const ATTRIBUTES: [&str; 7] = [
        "width=\"",
        "height=\"",
        "viewBox=\"",
        "r=\"",
        "stroke-width=\"",
        "stdDeviation=\"",
        "font-size=\"",
    ];
    const ELEMENTS: [&str; 7] = [
        "<filter id=\"z\"><feGaussianBlur stdDeviation=\"1e6\"/></filter><rect width=\"1e9\" height=\"1e9\" filter=\"url(#z)\"/>",
        "<pattern id=\"q\" width=\"1e-9\" height=\"1e-9\" patternUnits=\"userSpaceOnUse\"><rect width=\"1\" height=\"1\"/></pattern><rect width=\"100%\" height=\"100%\" fill=\"url(#q)\"/>",
        "<g id=\"s\"><use href=\"#s\"/></g>",
        "<image width=\"10\" height=\"10\" href=\"/etc/passwd\"/><image width=\"10\" height=\"10\" href=\"http://127.0.0.1:9/x.png\"/>",
        "<g><g><g><g><g><g><g><g><g><g><g><g><g><g><g><g><rect width=\"5\" height=\"5\"/></g></g></g></g></g></g></g></g></g></g></g></g></g></g></g></g>",
        "<text font-size=\"1e6\" x=\"0\" y=\"0\">huge text</text>",
        "<path d=\"M0 0 L1e30 1e30 Q-1e30 5 3 3 Z\" stroke=\"red\" stroke-width=\"1e-30\"/>",
    ];
    if rng.chance(70) {
        let attribute = *rng.pick(&ATTRIBUTES);
        let starts: Vec<usize> = b
            .windows(attribute.len())
            .enumerate()
            .filter(|(_, w)| *w == attribute.as_bytes())
            .map(|(i, _)| i + attribute.len())
            .collect();
        if let Some(&start) = starts.get(rng.below(starts.len().max(1))) {
            let end = b[start..]
                .iter()
                .position(|&c| c == b'"')
                .map_or(b.len(), |n| start + n);
            let value = *rng.pick(&VALUES);
            b.splice(start..end, value.bytes());
            return format!("SVG {attribute}{value}\" @{start}");
        }
    }
    let element = *rng.pick(&ELEMENTS);
    let at = b
        .windows(4)
        .position(|w| w == b"<svg")
        .and_then(|root| {
            b[root..]
                .iter()
                .position(|&c| c == b'>')
                .map(|n| root + n + 1)
        })
        .unwrap_or(b.len());
    b.splice(at..at, element.bytes());
    format!("SVG element inserted @{at}: {element}")
}

/// Edits one entry of the first TIFF IFD: a dimension, sample or strip field set to a
/// huge or odd value.
fn tiff_edit(b: &mut [u8], rng: &mut Rng) -> Option<String> {
    let le = b.get(..2)? == b"II";
    let u16_at = |b: &[u8], at: usize| -> Option<u16> {
        let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(if le {
            u16::from_le_bytes(s)
        } else {
            u16::from_be_bytes(s)
        })
    };
    let u32_at = |b: &[u8], at: usize| -> Option<u32> {
        let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    };
    let ifd = u32_at(b, 4)? as usize;
    let count = u16_at(b, ifd)? as usize;
    let entries: Vec<(usize, u16, u16)> = (0..count.min(64))
        .filter_map(|i| {
            let at = ifd + 2 + i * 12;
            Some((at, u16_at(b, at)?, u16_at(b, at + 2)?))
        })
        .collect();
    // ImageWidth, ImageLength, BitsPerSample, SamplesPerPixel, RowsPerStrip,
    // StripOffsets, StripByteCounts, Compression, PhotometricInterpretation.
    let wanted = [256u16, 257, 258, 277, 278, 273, 279, 259, 262];
    let candidates: Vec<_> = entries.iter().filter(|e| wanted.contains(&e.1)).collect();
    let &&(at, tag, kind) = candidates.get(rng.below(candidates.len().max(1)))?;
    let value = dimension(rng, 32);
    let field = at + 8;
    if field + 4 > b.len() {
        return None;
    }
    if kind == 3 {
        let v = value as u16;
        let bytes = if le { v.to_le_bytes() } else { v.to_be_bytes() };
        b[field..field + 2].copy_from_slice(&bytes);
        Some(format!("TIFF tag {tag} (short)={v}"))
    } else {
        let bytes = if le {
            value.to_le_bytes()
        } else {
            value.to_be_bytes()
        };
        b[field..field + 4].copy_from_slice(&bytes);
        Some(format!("TIFF tag {tag}={value}"))
    }
}

/// A position biased towards the header (half the time in the first 512 bytes).
fn position(rng: &mut Rng, len: usize) -> usize {
    if len == 0 {
        0
    } else if rng.chance(50) {
        rng.below(len.min(512))
    } else {
        rng.below(len)
    }
}

/// Applies one random mutation; returns what it did.
fn mutate(b: &mut Vec<u8>, rng: &mut Rng) -> String {
    let len = b.len();
    if len == 0 {
        b.push(rng.next() as u8);
        return "append 1 byte".into();
    }
    match rng.below(10) {
        0 | 1 => {
            let at = position(rng, len);
            let bit = rng.below(8);
            b[at] ^= 1 << bit;
            format!("flip bit {bit} @{at}")
        }
        2 => {
            let at = position(rng, len);
            let v = *rng.pick(&INTERESTING_8);
            b[at] = v;
            format!("set @{at}={v:#04x}")
        }
        3 => {
            let at = position(rng, len);
            if rng.chance(50) {
                let v = *rng.pick(&INTERESTING_16);
                if rng.chance(50) {
                    put_be16(b, at, v)
                } else {
                    put_le16(b, at, v)
                }
                format!("set16 @{at}={v:#06x}")
            } else {
                let v = *rng.pick(&INTERESTING_32);
                if rng.chance(50) {
                    put_be32(b, at, v)
                } else {
                    put_le32(b, at, v)
                }
                format!("set32 @{at}={v:#010x}")
            }
        }
        4 => {
            let at = if rng.chance(30) {
                rng.below(len.min(64))
            } else {
                rng.below(len)
            };
            b.truncate(at);
            format!("truncate @{at}")
        }
        5 => {
            let start = position(rng, len);
            let n = 1 + rng.below((len - start).min(4096));
            let chunk = b[start..start + n].to_vec();
            let at = rng.below(len + 1);
            b.splice(at..at, chunk);
            format!("duplicate {start}..{} to @{at}", start + n)
        }
        6 => {
            let start = position(rng, len);
            let n = 1 + rng.below((len - start).min(4096));
            b.drain(start..start + n);
            format!("delete {start}..{}", start + n)
        }
        7 => {
            let at = position(rng, len);
            let n = (1 + rng.below(16)).min(len - at);
            for byte in &mut b[at..at + n] {
                *byte = rng.next() as u8;
            }
            format!("random {n} bytes @{at}")
        }
        _ if decode::sniff(b) == Some(Format::Svg) => svg_edit(b, rng),
        _ => header_edit(b, rng).unwrap_or_else(|| {
            let at = position(rng, len);
            b[at] = rng.next() as u8;
            format!("random byte @{at} (no header field)")
        }),
    }
}

/// The options of a case: mostly width 64, sometimes other fits, rotation, flips,
/// grayscale, `animated`, or another output format (AVIF output is left out: slow).
fn case_options(rng: &mut Rng) -> (ProcessOptions, String) {
    let mut o = ProcessOptions {
        resize: ResizeRequest {
            width: Some(64),
            ..ResizeRequest::default()
        },
        limit_input_pixels: Some(LIMIT_INPUT_PIXELS),
        // The output is bounded like the input: an enlargement of a mutated 1x22183
        // GIF screen to width 64 is a 90 Mpx output that the default output limit
        // allows, and holds 700 MiB, which `PEAK_BOUND_PER_WORKER` (sized for small
        // outputs) does not cover. Found once the AVIF and animated WebP seeds moved the
        // default pass onto that case.
        limit_output_pixels: Some(LIMIT_INPUT_PIXELS),
        ..ProcessOptions::default()
    };
    let mut what = vec!["width 64".to_owned()];
    if rng.chance(25) {
        o.resize.height = Some(48);
        o.resize.fit = *rng.pick(&[
            Fit::Cover,
            Fit::Contain,
            Fit::Fill,
            Fit::Inside,
            Fit::Outside,
        ]);
        what.push(format!("height 48 {:?}", o.resize.fit));
    }
    if rng.chance(10) {
        o.rotation = *rng.pick(&[90.0, 180.0, 270.0, 30.0]);
        what.push(format!("rotate {}", o.rotation));
    }
    if rng.chance(10) {
        o.flip = true;
        o.flop = rng.chance(50);
        what.push("flip".into());
    }
    if rng.chance(10) {
        o.grayscale = true;
        what.push("grayscale".into());
    }
    if rng.chance(5) {
        o.auto_orient = false;
        what.push("autoOrient false".into());
    }
    if rng.chance(5) {
        o.density = *rng.pick(&[1.0, 30.0, 300.0, 2400.0]);
        what.push(format!("density {}", o.density));
    }
    if rng.chance(15) {
        o.animated = true;
        what.push("animated".into());
    }
    if rng.chance(20) {
        let f = *rng.pick(&[
            Format::Jpeg,
            Format::Png,
            Format::Webp,
            Format::Gif,
            Format::Tiff,
        ]);
        o.format = Some(f);
        what.push(format!("to {f:?}"));
    }
    case_encoder(rng, &mut o, &mut what);
    case_operations(rng, &mut o, &mut what);
    (o, what.join(", "))
}

/// The encoder options, each in a few percent of the cases. They are set as the table's
/// parser would set them without `format` (any output format), so none is refused.
fn case_encoder(rng: &mut Rng, o: &mut ProcessOptions, what: &mut Vec<String>) {
    let e = &mut o.encoder;
    if rng.chance(5) {
        e.progressive = Some(true);
        e.mozjpeg = Some(rng.chance(50));
        e.chroma_subsampling =
            Some(*rng.pick(&[ChromaSubsampling::Yuv420, ChromaSubsampling::Yuv444]));
    }
    if rng.chance(5) {
        e.palette = Some(true);
        e.colours = Some(*rng.pick(&[2, 3, 16, 200, 256]));
        e.dither = Some(*rng.pick(&[0.0, 0.5, 1.0]));
        e.quality = rng.chance(30).then_some(40);
    }
    if rng.chance(5) {
        e.compression_level = Some(*rng.pick(&[0, 1, 9]));
        e.compression = Some(*rng.pick(&[
            TiffCompression::None,
            TiffCompression::Lzw,
            TiffCompression::Packbits,
        ]));
        e.effort = Some(*rng.pick(&[0, 6, 9]));
        e.near_lossless = Some(rng.chance(50));
        e.alpha_quality = Some(*rng.pick(&[0, 50]));
    }
    if *e != Default::default() {
        what.push(format!("encoder {e:?}"));
    }
}

/// A tiny RGBA PNG watermark for the composite cases (made once).
fn watermark() -> std::sync::Arc<[u8]> {
    static MARK: std::sync::OnceLock<std::sync::Arc<[u8]>> = std::sync::OnceLock::new();
    MARK.get_or_init(|| {
        let r = Raster::filled(9, 7, 4, [250, 200, 10, 160]);
        decode::encode(&r, Format::Png, &EncodeSettings::quality(80))
            .expect("encodes")
            .into()
    })
    .clone()
}

/// The operation options (extract, trim, extend, sharpen, blur, flatten, negate,
/// normalise, modulate, composite), each in a few percent of the cases, with values that fit or do not fit
/// the mutated image (regions outside it, overlays larger than it).
fn case_operations(rng: &mut Rng, o: &mut ProcessOptions, what: &mut Vec<String>) {
    if rng.chance(6) {
        let region = Region {
            left: *rng.pick(&[0, 1, 7, 40]),
            top: *rng.pick(&[0, 3, 20]),
            width: *rng.pick(&[1, 16, 50, 300]),
            height: *rng.pick(&[1, 9, 40, 200]),
        };
        o.ops.extract = Some(region);
        what.push(format!("extract {region:?}"));
    }
    if rng.chance(5) {
        let trim = Trim {
            threshold: *rng.pick(&[0.0, 10.0, 80.0]),
            line_art: rng.chance(30),
            margin: *rng.pick(&[0, 0, 3]),
            background: rng.chance(30).then_some([255, 255, 255, 255]),
        };
        o.ops.trim = Some(trim);
        what.push(format!("trim {trim:?}"));
    }
    if rng.chance(5) {
        let n = *rng.pick(&[0, 1, 5, 30]);
        let e = Extend {
            top: n,
            bottom: *rng.pick(&[0, 2]),
            left: *rng.pick(&[0, 4]),
            right: n,
            background: *rng.pick(&[[0, 0, 0, 255], [10, 200, 30, 255], [0, 0, 0, 0]]),
        };
        o.ops.extend = Some(e);
        what.push(format!("extend {e:?}"));
    }
    if rng.chance(5) {
        let s = if rng.chance(50) {
            Sharpen::Mild
        } else {
            Sharpen::Lab(SharpenParams {
                m2: *rng.pick(&[0.0, 2.0, 50.0]),
                ..SharpenParams::with_sigma(*rng.pick(&[0.000_001, 0.5, 1.0, 10.0]))
            })
        };
        o.ops.sharpen = Some(s);
        what.push(format!("sharpen {s:?}"));
    } else if rng.chance(5) {
        let b = *rng.pick(&[
            Blur::Mild,
            Blur::Gaussian(0.3),
            Blur::Gaussian(2.5),
            Blur::Gaussian(40.0),
        ]);
        o.ops.blur = Some(b);
        what.push(format!("blur {b:?}"));
    }
    if rng.chance(4) {
        o.ops.flatten = Some([255, 255, 255, 255]);
        what.push("flatten".into());
    }
    if rng.chance(4) {
        let n = Negate {
            alpha: rng.chance(50),
        };
        o.ops.negate = Some(n);
        what.push(format!("negate {n:?}"));
    }
    if rng.chance(4) {
        let n = *rng.pick(&[
            Normalise::default(),
            Normalise {
                lower: 0,
                upper: 100,
            },
            Normalise {
                lower: 40,
                upper: 41,
            },
        ]);
        o.ops.normalise = Some(n);
        what.push(format!("normalise {n:?}"));
    }
    if rng.chance(4) {
        let m = Modulate {
            brightness: *rng.pick(&[0.0, 0.5, 1.0, 3.0]),
            saturation: *rng.pick(&[0.0, 1.0, 10.0]),
            hue: *rng.pick(&[0.0, 90.0, -270.0]),
            lightness: *rng.pick(&[0.0, -50.0, 120.0]),
        };
        o.ops.modulate = Some(m);
        what.push(format!("modulate {m:?}"));
    }
    if rng.chance(5) {
        let placement = *rng.pick(&[
            Placement::Gravity(corepool_core::Position::SouthEast),
            Placement::Gravity(corepool_core::Position::Centre),
            Placement::Offset { left: -3, top: 5 },
            Placement::Offset { left: 60, top: 0 },
        ]);
        let blend = *rng.pick(&[Blend::Over, Blend::Multiply, Blend::Screen]);
        let tile = rng.chance(30);
        o.ops.composite = vec![Layer::new(
            LayerInput::Bytes(watermark()),
            placement,
            blend,
            tile,
        )];
        what.push(format!("composite {placement:?} {blend:?} tile {tile}"));
    }
}

/// A whole case: the mutated input, the options, and a description.
struct Case {
    bytes: Vec<u8>,
    opts: ProcessOptions,
    what: String,
}

fn make_case(seeds: &[Seed], seed: u64, index: u64) -> Case {
    let mut rng = Rng::for_case(seed, index);
    let s = &seeds[rng.below(seeds.len())];
    let mut bytes = s.bytes.clone();
    let n = match rng.below(10) {
        0..=4 => 1,
        5..=7 => 2,
        8 => 3,
        _ => 4,
    };
    let mut what = vec![s.name.clone()];
    for _ in 0..n {
        what.push(mutate(&mut bytes, &mut rng));
    }
    let (opts, opts_what) = case_options(&mut rng);
    what.push(format!("[{opts_what}]"));
    Case {
        bytes,
        opts,
        what: what.join("; "),
    }
}

// ---------------------------------------------------------------------------------
// Running cases.
// ---------------------------------------------------------------------------------

thread_local! {
    /// The last panic's message and location on this thread, set by our hook.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Whether this thread is running a fuzz case right now.
    static IN_CASE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Records the panic messages of fuzz cases instead of printing them (they are
/// reported with their case in the final assertion); other panics (the test's own
/// assertions) go to the default hook.
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !IN_CASE.with(std::cell::Cell::get) {
                return default(info);
            }
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "<non-string payload>".into());
            let location = info
                .location()
                .map_or(String::new(), |l| format!(" at {l}"));
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{message}{location}")));
        }));
    });
}

enum Outcome {
    Ok,
    Err(ErrorCode),
    /// A bug: a panic, or a success whose output is not what was reported.
    Bug(String),
}

fn run_case(case: &Case) -> Outcome {
    LAST_PANIC.with(|p| p.borrow_mut().take());
    IN_CASE.with(|c| c.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(|| process(&case.bytes, &case.opts)));
    IN_CASE.with(|c| c.set(false));
    match result {
        Err(payload) => {
            let hooked = LAST_PANIC.with(|p| p.borrow_mut().take());
            let message = hooked.unwrap_or_else(|| {
                payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "<panic without message>".into())
            });
            Outcome::Bug(format!("PANIC: {message}"))
        }
        // ERR_INTERNAL is documented as "a bug in corepool" (a caught panic or a broken
        // invariant), never a property of the input.
        Ok(Err(failure)) if failure.code == ErrorCode::Internal => {
            Outcome::Bug(format!("ERR_INTERNAL: {}", failure.message))
        }
        Ok(Err(failure)) => Outcome::Err(failure.code),
        Ok(Ok(out)) => {
            // The output must decode again (header) and match what was reported.
            match decode::probe(&out.data) {
                Ok(h) if (h.width, h.height) == (out.width, out.height) => Outcome::Ok,
                Ok(h) => Outcome::Bug(format!(
                    "output header says {}x{} but process reported {}x{}",
                    h.width, h.height, out.width, out.height
                )),
                // AVIF is never produced here; GIF/TIFF/PNG/JPEG/WebP are all readable.
                Err(e) => Outcome::Bug(format!("output ({:?}) does not decode: {e}", out.format)),
            }
        }
    }
}

struct Finding {
    seed: u64,
    case: u64,
    what: String,
    problem: String,
    saved: Option<PathBuf>,
}

#[derive(Default)]
struct Tally {
    cases: u64,
    ok: u64,
    errors: BTreeMap<&'static str, u64>,
    findings: Vec<Finding>,
    slowest: (Duration, u64, String),
}

fn save_finding(seed: u64, case: u64, bytes: &[u8]) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-findings");
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join(format!("{seed}-{case}.bin"));
    std::fs::write(&path, bytes).ok()?;
    Some(path)
}

/// Runs cases `0..` on `threads` workers until `stop(cases_started)` says so.
fn run(
    seeds: &[Seed],
    seed: u64,
    threads: usize,
    stop: &(dyn Fn(u64) -> bool + Sync),
    progress: bool,
) -> Tally {
    RUN_SEED.store(seed, Ordering::Relaxed);
    let next = AtomicU64::new(0);
    let tally = Mutex::new(Tally::default());
    let started = Instant::now();
    let last_report = Mutex::new(Instant::now());
    let halt = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for worker in 0..threads {
            let (next, tally, last_report, halt) = (&next, &tally, &last_report, &halt);
            scope.spawn(move || loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if halt.load(Ordering::Relaxed) || stop(index) {
                    return;
                }
                IN_FLIGHT[worker % MAX_WORKERS].store(index + 1, Ordering::Relaxed);
                let case = make_case(seeds, seed, index);
                let t0 = Instant::now();
                let outcome = run_case(&case);
                let took = t0.elapsed();
                IN_FLIGHT[worker % MAX_WORKERS].store(0, Ordering::Relaxed);
                let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
                t.cases += 1;
                if took > t.slowest.0 {
                    t.slowest = (took, index, case.what.clone());
                }
                match outcome {
                    Outcome::Ok => t.ok += 1,
                    Outcome::Err(code) => *t.errors.entry(code.as_str()).or_default() += 1,
                    Outcome::Bug(problem) => {
                        *t.errors.entry("BUG").or_default() += 1;
                        if t.findings.len() < 200 {
                            let saved = save_finding(seed, index, &case.bytes);
                            t.findings.push(Finding { seed, case: index, what: case.what, problem, saved });
                        }
                        if t.findings.len() >= 200 {
                            halt.store(true, Ordering::Relaxed);
                        }
                    }
                }
                let cases = t.cases;
                drop(t);
                if progress {
                    let mut last = last_report.lock().unwrap_or_else(|p| p.into_inner());
                    if last.elapsed() >= Duration::from_secs(15) {
                        *last = Instant::now();
                        let secs = started.elapsed().as_secs_f64();
                        println!(
                            "fuzz: {cases} cases in {secs:.0} s ({:.0} cases/s), peak live heap {} MiB",
                            cases as f64 / secs,
                            PEAK.load(Ordering::Relaxed) >> 20
                        );
                    }
                }
            });
        }
    });
    tally.into_inner().unwrap_or_else(|p| p.into_inner())
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    Some(
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be an integer, got {v:?}")),
    )
}

/// The fixed seed of the default pass.
const DEFAULT_SEED: u64 = 0xC0DE_F00D_2024;
/// Cases of the default pass: about 5 s on 2 cores in release mode.
const DEFAULT_CASES: u64 = 10_000;

#[test]
fn fuzz_pipeline() {
    install_panic_hook();
    install_crash_reporter();
    if let Some(bytes) = env_u64("COREPOOL_FUZZ_TRAP_BYTES") {
        TRAP_BYTES.store(bytes as usize, Ordering::Relaxed);
    }
    let seeds = load_seeds();

    // Replay one case.
    if let Ok(spec) = std::env::var("COREPOOL_FUZZ_REPLAY") {
        let (s, c) = spec
            .split_once(':')
            .expect("COREPOOL_FUZZ_REPLAY=<seed>:<case>");
        let (seed, index): (u64, u64) = (s.parse().expect("seed"), c.parse().expect("case"));
        let case = make_case(&seeds, seed, index);
        RUN_SEED.store(seed, Ordering::Relaxed);
        println!("replay {seed}:{index}: {}", case.what);
        println!(
            "input: {} bytes; options: {:?}",
            case.bytes.len(),
            case.opts
        );
        let saved = save_finding(seed, index, &case.bytes);
        println!("saved to {saved:?}");
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let outcome = run_case(&case);
        println!(
            "peak live heap during the case: {} MiB above the {} MiB before it",
            PEAK.load(Ordering::Relaxed).saturating_sub(before) >> 20,
            before >> 20
        );
        match outcome {
            Outcome::Ok => println!("result: ok"),
            Outcome::Err(code) => println!("result: {code}"),
            Outcome::Bug(problem) => panic!("{seed}:{index}: {problem}"),
        }
        return;
    }

    // Every unmutated seed must process (the fuzzer starts from good inputs).
    for s in &seeds {
        let opts = ProcessOptions {
            resize: ResizeRequest {
                width: Some(64),
                ..ResizeRequest::default()
            },
            limit_input_pixels: Some(LIMIT_INPUT_PIXELS),
            ..ProcessOptions::default()
        };
        let out = process(&s.bytes, &opts)
            .unwrap_or_else(|e| panic!("seed {} does not process: {e}", s.name));
        assert_eq!(out.width, 64, "seed {}", s.name);
    }

    let threads = env_u64("COREPOOL_FUZZ_THREADS")
        .unwrap_or(2)
        .clamp(1, MAX_WORKERS as u64) as usize;
    let seconds = env_u64("COREPOOL_FUZZ_SECONDS");
    let (seed, mode) = match (seconds, env_u64("COREPOOL_FUZZ_SEED")) {
        (_, Some(seed)) => (seed, "given seed"),
        (Some(_), None) => {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
            (
                splitmix64(now.as_nanos() as u64 ^ u64::from(std::process::id())),
                "time-based seed",
            )
        }
        (None, None) => (DEFAULT_SEED, "fixed seed"),
    };
    let started = Instant::now();
    let tally = match seconds {
        Some(secs) => {
            println!(
                "fuzz: long pass for {secs} s, seed {seed} ({mode}), {threads} threads, {} seeds",
                seeds.len()
            );
            let deadline = started + Duration::from_secs(secs);
            run(&seeds, seed, threads, &|_| Instant::now() >= deadline, true)
        }
        None => {
            let cases = env_u64("COREPOOL_FUZZ_CASES").unwrap_or(DEFAULT_CASES);
            println!(
                "fuzz: {cases} cases, seed {seed} ({mode}), {threads} threads, {} seeds",
                seeds.len()
            );
            run(&seeds, seed, threads, &|i| i >= cases, false)
        }
    };
    let secs = started.elapsed().as_secs_f64();
    let peak = PEAK.load(Ordering::Relaxed);
    let peak_bound = PEAK_BOUND_PER_WORKER * threads.max(2);
    let panics = tally
        .findings
        .iter()
        .filter(|f| f.problem.starts_with("PANIC"))
        .count();
    let errors: Vec<String> = tally
        .errors
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    println!(
        "fuzz summary: seed {seed}, {} cases in {secs:.1} s ({:.0} cases/s), ok {}, errors by code: {{{}}}, panics {panics}, other bugs {}, peak live heap {} MiB (bound {} MiB), peak RSS {} MiB, refused allocations {}",
        tally.cases,
        tally.cases as f64 / secs.max(1e-9),
        tally.ok,
        errors.join(", "),
        tally.findings.len() - panics,
        peak >> 20,
        peak_bound >> 20,
        peak_rss().map_or("?".into(), |b| (b >> 20).to_string()),
        REFUSED.load(Ordering::Relaxed),
    );
    println!(
        "fuzz: slowest case {seed}:{} took {:.0} ms: {}",
        tally.slowest.1,
        tally.slowest.0.as_secs_f64() * 1000.0,
        tally.slowest.2
    );
    let suspects: Vec<String> = PEAK_CASES
        .iter()
        .filter_map(|c| c.load(Ordering::Relaxed).checked_sub(1))
        .map(|c| format!("{seed}:{c}"))
        .collect();
    if !suspects.is_empty() {
        println!(
            "fuzz: the peak of live heap was last raised while these cases ran: {}",
            suspects.join(" ")
        );
    }
    let mut report = String::new();
    for f in &tally.findings {
        report.push_str(&format!(
            "\n  COREPOOL_FUZZ_REPLAY={}:{} -- {} -- input: {}{}",
            f.seed,
            f.case,
            f.problem,
            f.what,
            f.saved
                .as_ref()
                .map_or(String::new(), |p| format!(" (saved: {})", p.display()))
        ));
    }
    assert!(
        tally.findings.is_empty(),
        "fuzz found {} bug(s) (seed {seed}):{report}",
        tally.findings.len()
    );
    assert!(
        peak < peak_bound,
        "peak live heap {} MiB >= bound {} MiB for {threads} workers (seed {seed})",
        peak >> 20,
        peak_bound >> 20
    );
    assert_eq!(
        REFUSED.load(Ordering::Relaxed),
        0,
        "allocations were refused by HARD_CAP (seed {seed})"
    );
}

// ---------------------------------------------------------------------------------
// Regression tests for the bugs the fuzzer and the reliability tests found. The open
// ones are #[ignore]d; the fixed ones (KB1-KB6, KB8, fixed in c8bd0be) run by default.
// Tests that may crash, or that measure the heap (which the fuzzer shares when tests
// run in parallel), run in a child process of this test binary.
// ---------------------------------------------------------------------------------

/// Runs the ignored test `name` of this binary in a child process, with
/// `COREPOOL_FUZZ_CHILD=name` so that it does its work; returns whether it passed and
/// the interesting lines of its stderr.
fn run_child(name: &str, env: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
    let exe = std::env::current_exe().expect("test binary");
    let output = std::process::Command::new(exe)
        .args(["--exact", name, "--ignored", "--nocapture"])
        .env("COREPOOL_FUZZ_CHILD", name)
        .envs(env.iter().copied())
        .output()
        .expect("runs the child");
    let stderr = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|l| {
            l.contains("fuzz:")
                || l.contains("allocation")
                || l.contains("panicked")
                || l.contains("MiB")
                || l.contains("left:")
                || l.contains("right:")
        })
        .collect::<Vec<_>>()
        .join(" | ");
    (output.status, stderr)
}

/// Whether this process is the child `run_child(name)` started.
fn in_child(name: &str) -> bool {
    std::env::var("COREPOOL_FUZZ_CHILD").is_ok_and(|v| v == name)
}

/// The heap the calling code allocated at its peak while running `work` (reset the
/// peak first: only meaningful in a child process, where nothing else allocates).
fn peak_growth<T>(work: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let value = work();
    (value, PEAK.load(Ordering::Relaxed).saturating_sub(before))
}

/// A GIF whose logical screen is `screen` but whose only frame, at (0, 0), is `frame`
/// pixels of colour 0, LZW-coded as compactly as GIF allows (runs up to 4,091 pixels
/// per 12-bit code: a 20000x20000 frame takes ~150 KB).
fn gif_frame_bomb(screen: (u16, u16), frame: (u16, u16)) -> Vec<u8> {
    let mut remaining = u64::from(frame.0) * u64::from(frame.1);
    let mut lens = vec![0u64; 4096];
    lens[0] = 1;
    let (mut size, mut next, mut prev) = (3u32, 6usize, None::<usize>);
    let mut codes: Vec<(usize, u32)> = vec![(4, size)]; // clear
    while remaining > 0 {
        let code = match prev {
            None => 0,
            Some(p) if next < 4096 && lens[p] < remaining => next, // KwKwK: one longer
            Some(p) => {
                let cap = if next < 4096 { lens[p] } else { 4091 };
                let want = remaining.min(cap);
                if want == 1 {
                    0
                } else {
                    6 + (want as usize - 2)
                }
            }
        };
        codes.push((code, size));
        if let Some(p) = prev {
            if next < 4096 {
                lens[next] = lens[p] + 1;
                next += 1;
                if next == 1 << size && size < 12 {
                    size += 1;
                }
            }
        }
        remaining -= lens[code];
        prev = Some(code);
    }
    codes.push((5, size)); // end of information
    let mut data = Vec::new();
    let (mut acc, mut bits) = (0u64, 0u32);
    for (code, width) in codes {
        acc |= (code as u64) << bits;
        bits += width;
        while bits >= 8 {
            data.push(acc as u8);
            acc >>= 8;
            bits -= 8;
        }
    }
    if bits > 0 {
        data.push(acc as u8);
    }
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&screen.0.to_le_bytes());
    gif.extend_from_slice(&screen.1.to_le_bytes());
    gif.extend_from_slice(&[0x81, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
    gif.push(0x2C);
    gif.extend_from_slice(&[0, 0, 0, 0]);
    gif.extend_from_slice(&frame.0.to_le_bytes());
    gif.extend_from_slice(&frame.1.to_le_bytes());
    gif.extend_from_slice(&[0, 2]);
    for chunk in data.chunks(255) {
        gif.push(chunk.len() as u8);
        gif.extend_from_slice(chunk);
    }
    gif.extend_from_slice(&[0, 0x3B]);
    gif
}

#[test]
fn gif_frame_bomb_generator_makes_valid_gifs() {
    // A frame equal to the screen: decodes normally to its size, all colour 0 (red).
    let gif = gif_frame_bomb((300, 200), (300, 200));
    let out = process(
        &gif,
        &ProcessOptions {
            format: Some(Format::Png),
            ..ProcessOptions::default()
        },
    )
    .expect("a valid GIF");
    assert_eq!((out.width, out.height), (300, 200));
    let image = image::load_from_memory(&out.data).expect("png").to_rgba8();
    assert!(image.pixels().all(|p| p.0 == [255, 0, 0, 255]));
}

/// KB1 (fixed in c8bd0be). Input: a 16x16-screen GIF whose first frame is 2000x2000
/// (4 Mpx, ~10 KB of data), with `limitInputPixels: 1_000_000`. Expected:
/// `ERR_INPUT_TOO_LARGE`, as sharp does ("Input image exceeds pixel limit"), before the
/// frame is decoded. Was: success (a 16x16 output) after decoding the whole frame; at the
/// default limit a 150 KB GIF with a 20000x20000 frame (400 Mpx) peaked at ~2 GB RSS.
#[test]
fn kb1_gif_frame_larger_than_the_limit_is_rejected() {
    let (status, stderr) = run_child("kb1_child", &[]);
    assert!(status.success(), "KB1: child {status}: {stderr}");
}

#[test]
#[ignore = "run by kb1_gif_frame_larger_than_the_limit_is_rejected in a child process"]
fn kb1_child() {
    if !in_child("kb1_child") {
        return;
    }
    let gif = gif_frame_bomb((16, 16), (2000, 2000));
    let opts = ProcessOptions {
        limit_input_pixels: Some(1_000_000),
        ..ProcessOptions::default()
    };
    let (result, grew) = peak_growth(|| process(&gif, &opts).map(|o| (o.width, o.height)));
    assert_eq!(
        result.map_err(|e| e.code),
        Err(ErrorCode::InputTooLarge),
        "a 2000x2000 GIF frame must not pass a 1,000,000 px limit (heap grew by {} MiB)",
        grew >> 20
    );
    assert!(
        grew < 8 << 20,
        "heap grew by {} MiB for a rejected 16x16 GIF",
        grew >> 20
    );
}

/// Every seed, unmutated, to every output format, with and without grayscale, with a
/// right-angle and a free rotation: every combination must succeed and decode again
/// (AVIF only checked for its brand).
#[test]
fn every_seed_to_every_format() {
    let seeds = load_seeds();
    let mut failures = Vec::new();
    for s in &seeds {
        for format in [
            Format::Jpeg,
            Format::Png,
            Format::Webp,
            Format::Gif,
            Format::Tiff,
            Format::Avif,
        ] {
            for (grayscale, rotation) in [(false, 0.0), (true, 90.0), (true, 30.0), (false, 270.0)]
            {
                if format == Format::Avif && rotation != 0.0 {
                    continue; // slow; one AVIF per seed is enough
                }
                let opts = ProcessOptions {
                    resize: ResizeRequest {
                        width: Some(40),
                        ..ResizeRequest::default()
                    },
                    format: Some(format),
                    grayscale,
                    rotation,
                    ..ProcessOptions::default()
                };
                let label = format!(
                    "{} -> {format:?} grayscale={grayscale} rotation={rotation}",
                    s.name
                );
                match process(&s.bytes, &opts) {
                    Ok(out) if format == Format::Avif => {
                        assert_eq!(&out.data[4..12], b"ftypavif", "{label}")
                    }
                    Ok(out) => match decode::probe(&out.data) {
                        Ok(h) if (h.width, h.height) == (out.width, out.height) => {}
                        other => failures.push(format!("{label}: output probes as {other:?}")),
                    },
                    Err(e) => failures.push(format!("{label}: {e}")),
                }
            }
        }
    }
    println!(
        "every_seed_to_every_format: {} seeds, every combination checked",
        seeds.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// KB2 (fixed in c8bd0be). Input: any image with alpha (horse.png, logo.png, a
/// grey+alpha PNG) with `{ grayscale: true, format: 'tiff' }`. Expected: a grey+alpha
/// (or RGBA) TIFF, as sharp writes. Was: `ERR_INTERNAL` "cannot encode tiff: The
/// encoder or decoder for Tiff does not support the color type `La8`".
#[test]
fn kb2_grey_alpha_encodes_as_tiff() {
    let raster = Raster::filled(8, 6, 2, [100, 100, 100, 128]);
    let tiff = decode::encode(&raster, Format::Tiff, &EncodeSettings::default());
    assert!(tiff.is_ok(), "La8 to TIFF: {tiff:?}");
    let horse = std::fs::read(fixtures_dir().join("horse.png")).expect("horse.png");
    let opts = ProcessOptions {
        grayscale: true,
        format: Some(Format::Tiff),
        ..ProcessOptions::default()
    };
    let out = process(&horse, &opts).map_err(|e| e.to_string());
    assert!(
        out.is_ok(),
        "horse.png grayscale to TIFF: {:?}",
        out.map(|o| o.width)
    );
}

/// A valid RGBA PNG of `w x h`.
fn png(w: u32, h: u32) -> Vec<u8> {
    corepool_encode(&test_raster(w, h, 4), Format::Png, false)
}

/// KB3 (fixed in c8bd0be) inputs: valid PNGs that crashed with a cover resize, found by
/// the fuzzer (64x16) and by replaying fast_image_resize's coefficient bounds over a
/// grid of sizes (the others).
const KB3_CASES: [((u32, u32), (u32, u32)); 4] = [
    ((64, 16), (64, 48)),
    ((22, 35), (16, 48)),
    ((85, 80), (16, 112)),
    ((36, 116), (16, 192)),
];

/// KB3 (fixed in c8bd0be). Input: a valid 64x16 RGBA (or RGB) PNG, `{ width: 64,
/// height: 48 }` (fit cover). Expected: a 64x48 image. Was: SIGSEGV, the process died
/// (in Node too). Cause: src/image/resize.rs passed a fractional crop window to
/// fast_image_resize 6.1.0, whose `Resizer::do_convolution` (u8 images, both passes)
/// shifts every horizontal bound by `bounds[0].start` assuming monotonic bounds; zero
/// taps trimmed from the first bound (Catmull-Rom is 0 at integer distances) made
/// bounds[0] start after bounds[1] (64x16: 21 vs 20), the u32 subtraction wrapped and
/// the AVX2 kernel read ~16 GB past the row. Runs in child processes.
#[test]
fn kb3_cover_crop_does_not_crash() {
    for (i, ((w, h), (tw, th))) in KB3_CASES.iter().enumerate() {
        let index = i.to_string();
        let (status, stderr) = run_child("kb3_child", &[("COREPOOL_FUZZ_KB3_CASE", &index)]);
        assert!(
            status.success(),
            "{w}x{h} PNG -> {{ width: {tw}, height: {th} }} (cover): child {status}: {stderr}"
        );
    }
}

#[test]
#[ignore = "run by kb3_cover_crop_does_not_crash in a child process"]
fn kb3_child() {
    if !in_child("kb3_child") {
        return;
    }
    let i: usize = std::env::var("COREPOOL_FUZZ_KB3_CASE")
        .expect("case")
        .parse()
        .expect("index");
    let ((w, h), (tw, th)) = KB3_CASES[i];
    let opts = ProcessOptions {
        resize: ResizeRequest {
            width: Some(tw),
            height: Some(th),
            ..ResizeRequest::default()
        },
        ..ProcessOptions::default()
    };
    let out = process(&png(w, h), &opts).expect("processes");
    assert_eq!((out.width, out.height), (tw, th));
}

/// A valid 1 x `h` RGB PNG: a thin image whose resize to width 64 is very tall.
fn thin_png(h: u32) -> Vec<u8> {
    corepool_encode(&test_raster(1, h, 3), Format::Png, false)
}

/// KB4 (fixed in c8bd0be). Input: a valid 1x20000 PNG (520 bytes), `{ width: 64,
/// rotation: 30 }`. Expected: `ERR_INPUT_TOO_LARGE` (the rotated canvas, 640055x1108540
/// px, is far over `limitInputPixels`). Was: the process aborted, "memory allocation of
/// 2128589309925 bytes failed" (in Node too). Runs in a child process.
#[test]
fn kb4_rotated_canvas_is_checked_against_the_limit() {
    let (status, stderr) = run_child("kb4_child", &[]);
    assert!(
        status.success(),
        "1x20000 PNG -> {{ width: 64, rotation: 30 }}: child {status}: {stderr}"
    );
}

#[test]
#[ignore = "run by kb4_rotated_canvas_is_checked_against_the_limit in a child process"]
fn kb4_child() {
    if !in_child("kb4_child") {
        return;
    }
    let opts = ProcessOptions {
        resize: ResizeRequest {
            width: Some(64),
            ..ResizeRequest::default()
        },
        rotation: 30.0,
        ..ProcessOptions::default()
    };
    let result = process(&thin_png(20_000), &opts).map(|o| (o.width, o.height));
    assert_eq!(result.map_err(|e| e.code), Err(ErrorCode::InputTooLarge));
}

/// KB5 (fixed in c8bd0be). Input: a valid 1x2000 PNG, `{ width: 64, format: 'gif' }`
/// (output 64x128000, 8.2 Mpx, within the pixel limit). Expected: a documented error
/// code (GIF stores at most 65535 px a side). Was: ERR_INTERNAL "cannot encode gif: The
/// Image's dimensions are either too small or too large".
#[test]
fn kb5_output_too_large_for_gif_is_a_documented_error() {
    let opts = ProcessOptions {
        resize: ResizeRequest {
            width: Some(64),
            ..ResizeRequest::default()
        },
        format: Some(Format::Gif),
        ..ProcessOptions::default()
    };
    let code = process(&thin_png(2000), &opts).map(|o| (o.width, o.height));
    assert!(
        matches!(code, Err(ref e) if e.code != ErrorCode::Internal),
        "64x128000 to GIF: {code:?}"
    );
}

/// KB6 (fixed in c8bd0be). Input: a valid 1x2000 PNG, `{ width: 64, format: 'webp' }`
/// (output 64x128000). Expected: a documented error code (WebP stores at most 16383 px
/// a side). Was: a panic, "called `Result::unwrap()` on an `Err` value:
/// VP8_ENC_ERROR_BAD_DIMENSION" at webp-0.3.1/src/encoder.rs:59, reported by the
/// binding as ERR_INTERNAL.
#[test]
fn kb6_output_too_large_for_webp_is_a_documented_error() {
    let opts = ProcessOptions {
        resize: ResizeRequest {
            width: Some(64),
            ..ResizeRequest::default()
        },
        format: Some(Format::Webp),
        ..ProcessOptions::default()
    };
    let png = thin_png(2000);
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        process(&png, &opts).map(|o| (o.width, o.height))
    }));
    match result {
        Err(_) => panic!("64x128000 to WebP panicked"),
        Ok(code) => assert!(
            matches!(code, Err(ref e) if e.code != ErrorCode::Internal),
            "64x128000 to WebP: {code:?}"
        ),
    }
}

/// KB7 (fixed: `webp_container::check` in src/image/webp_container.rs, called by `probe`).
/// Input: an extended WebP (VP8X canvas 48x32) whose VP8 frame header declares
/// 15144x16361, with `limitInputPixels: 1_000_000`. Expected: ERR_INPUT_CORRUPT ("WebP
/// bitstream is 15144x16361 but its canvas is 48x32") without allocating for 248 Mpx.
/// Was: ERR_INPUT_CORRUPT after `image-webp` allocated ~354 MiB of Y/U/V planes sized
/// from the bitstream header (the limit was only checked against the canvas; at the
/// default limit a 16383x16383 bitstream passed too). Runs in a child process.
#[test]
fn kb7_webp_bitstream_larger_than_canvas_is_rejected_cheaply() {
    let (status, stderr) = run_child("kb7_child", &[]);
    assert!(status.success(), "KB7: child {status}: {stderr}");
}

#[test]
#[ignore = "run by kb7_webp_bitstream_larger_than_canvas_is_rejected_cheaply in a child"]
fn kb7_child() {
    if !in_child("kb7_child") {
        return;
    }
    let simple = corepool_encode(&test_raster(48, 32, 3), Format::Webp, false);
    assert_eq!(&simple[12..16], b"VP8 ");
    let size = u32::from_le_bytes(simple[16..20].try_into().expect("4 bytes")) as usize;
    let mut vp8 = simple[12..20 + size + (size & 1)].to_vec();
    vp8[8 + 6..8 + 8].copy_from_slice(&15144u16.to_le_bytes());
    vp8[8 + 8..8 + 10].copy_from_slice(&16361u16.to_le_bytes());
    let mut body = b"WEBPVP8X".to_vec();
    body.extend_from_slice(&10u32.to_le_bytes());
    body.extend_from_slice(&[0, 0, 0, 0]); // flags
    body.extend_from_slice(&[47, 0, 0, 31, 0, 0]); // canvas 48x32 (minus one)
    body.extend_from_slice(&vp8);
    let mut webp = b"RIFF".to_vec();
    webp.extend_from_slice(&(body.len() as u32).to_le_bytes());
    webp.extend_from_slice(&body);
    let opts = ProcessOptions {
        limit_input_pixels: Some(1_000_000),
        ..ProcessOptions::default()
    };
    let (result, grew) = peak_growth(|| process(&webp, &opts).map(|o| (o.width, o.height)));
    println!("KB7 input: {result:?}, peak heap growth {grew} bytes");
    let err = result
        .as_ref()
        .expect_err("a bitstream larger than its canvas is refused");
    assert_eq!(err.code, ErrorCode::InputCorrupt, "{err:?}");
    assert!(
        err.message
            .contains("WebP bitstream is 15144x16361 but its canvas is 48x32"),
        "{err:?}"
    );
    assert!(
        grew < 16 << 20,
        "a 48x32-canvas WebP made the decoder allocate {} MiB ({result:?})",
        grew >> 20
    );
}

/// KB8 (fixed in c8bd0be: scratch above 32 MiB is released). Input: one 4000x4000 RGBA
/// PNG with `{ width: 64 }`, then nothing. Expected: the memory of a large image is
/// released when its call returns (a small, bounded cache per thread is fine). Was:
/// each thread that resized it kept fast_image_resize's premultiplied-alpha buffer
/// (width x height x 4 bytes, here 61 MiB) for the life of the thread (the thread-local
/// `Resizer` in src/image/resize.rs); in Node, RSS stayed 126 MB higher after two such
/// images. Runs in a child process.
#[test]
fn kb8_resize_scratch_is_released_after_the_call() {
    let (status, stderr) = run_child("kb8_child", &[]);
    assert!(status.success(), "KB8: child {status}: {stderr}");
}

#[test]
#[ignore = "run by kb8_resize_scratch_is_released_after_the_call in a child process"]
fn kb8_child() {
    if !in_child("kb8_child") {
        return;
    }
    let rgba = corepool_encode(&test_raster(4000, 4000, 4), Format::Png, false);
    let opts = ProcessOptions {
        resize: ResizeRequest {
            width: Some(64),
            ..ResizeRequest::default()
        },
        ..ProcessOptions::default()
    };
    // On a fresh thread, so that its thread-locals start empty and stay alive while we
    // measure.
    let retained = std::thread::spawn(move || {
        let before = LIVE.load(Ordering::Relaxed);
        let out = process(&rgba, &opts).expect("processes");
        drop(out);
        LIVE.load(Ordering::Relaxed).saturating_sub(before)
    })
    .join()
    .expect("thread");
    assert!(
        retained <= 33 << 20,
        "{} MiB of heap still held by the thread after the call returned",
        retained >> 20
    );
}

/// KB9 (fixed in bff5a2d: enlargements compute only the window that survives a crop,
/// src/image/upsample.rs; introduced by the fix of KB3 in c8bd0be). Input: a valid
/// 1x65535 RGB PNG, `{ width: 1000, height: 1000 }` (fit cover, an enlarging crop).
/// Expected: a 1000x1000 image (sharp makes one), without materialising the scaled
/// image. Was: `apply_plan` resampled to the whole scaled size, 1000x65535000 (65.5 Gpx,
/// ~196 GB for RGB), before cropping, and the process aborted ("memory allocation of
/// 196605000000 bytes failed"; in Node too). Runs in a child process.
#[test]
fn kb9_enlarging_cover_crop_stays_proportional_to_the_output() {
    let (status, stderr) = run_child("kb9_child", &[]);
    assert!(
        status.success(),
        "1x65535 PNG -> {{ width: 1000, height: 1000 }}: child {status}: {stderr}"
    );
}

#[test]
#[ignore = "run by kb9_enlarging_cover_crop_stays_proportional_to_the_output in a child"]
fn kb9_child() {
    if !in_child("kb9_child") {
        return;
    }
    let thin = thin_png(65_535);
    let opts = ProcessOptions {
        resize: ResizeRequest {
            width: Some(1000),
            height: Some(1000),
            ..ResizeRequest::default()
        },
        ..ProcessOptions::default()
    };
    let (result, grew) = peak_growth(|| process(&thin, &opts).map(|o| (o.width, o.height)));
    assert_eq!(result.map_err(|e| e.code), Ok((1000, 1000)));
    assert!(grew < 256 << 20, "peak heap grew by {} MiB", grew >> 20);
}

/// KB10 (fixed: `svg::guarded` catches a panic in usvg or resvg; the `<image>` resolver
/// skips an embedded image whose header does not parse). Inputs: circle.svg with a
/// blurred 1e9 x 1e9 rectangle inserted (tiny-skia-path's `Rect::from_xywh(..).unwrap()`
/// panicked, rect.rs:638), and the generated SVG seed with the middle of its data-URL
/// PNG deleted (tiny-skia-path's `Size::from_wh(0, 0).unwrap()`, size.rs:182). Expected: the
/// first is this document's coded error or an image; the second renders without the
/// broken image, as librsvg skips it. Was: a panic (`ERR_INTERNAL` in Node).
#[test]
fn kb10_svg_renderer_panics_are_the_documents_errors() {
    let circle = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../__test__/fixtures/svg/circle.svg"),
    )
    .expect("circle.svg");
    let text = String::from_utf8(circle).expect("utf-8");
    let root_end = text
        .find("<svg")
        .and_then(|at| text[at..].find('>').map(|n| at + n + 1));
    let at = root_end.expect("a root element");
    let blurred = format!(
        "{}<filter id=\"z\"><feGaussianBlur stdDeviation=\"1e6\"/></filter>\
         <rect width=\"1e9\" height=\"1e9\" filter=\"url(#z)\"/>{}",
        &text[..at],
        &text[at..]
    );
    let opts = ProcessOptions {
        resize: ResizeRequest {
            width: Some(64),
            ..ResizeRequest::default()
        },
        ..ProcessOptions::default()
    };
    match process(blurred.as_bytes(), &opts) {
        Ok(out) => assert_eq!(out.width, 64),
        Err(e) => assert_eq!(e.code, ErrorCode::InputCorrupt, "{}", e.message),
    }

    let svg = generated_svg();
    // The PNG's first 18 bytes (signature and half the IHDR) and its last 18 (IEND),
    // as the fuzzer's deletion left them.
    let start = svg.find("base64,").expect("a data URL") + "base64,".len();
    let end = start + svg[start..].find('"').expect("the URL's end");
    let broken = format!("{}{}", &svg[..start + 24], &svg[end - 24..]);
    let out = process(broken.as_bytes(), &opts).expect("drawn without the broken image");
    assert_eq!(out.width, 64);
}

/// KB11 (fixed: `codec/svg_scratch.rs` estimates the scratch pixmaps resvg will allocate,
/// and `svg::decode` refuses a document that needs more than the pixel limit, or 4
/// canvases, at once). Inputs: the generated SVG seed with its pattern's height set to
/// 1e9 (fuzz seed 15260433794747111902, case 43772), `{ width: 64 }`; and 20 nested
/// half-opaque groups around a 1e6-wide rectangle, `{ width: 2000 }`. Expected:
/// `ERR_INPUT_TOO_LARGE` for both, with no large allocation, while 3 nested groups (a
/// legitimate drawing) still render. Was: resvg's pattern tile, 9.6 GB, and 20 layers
/// of 5 x 5 canvases (200 MB each, alive together): "memory allocation of 9600000000
/// bytes failed", an abort (in Node too). Runs in a child process.
#[test]
fn kb11_svg_scratch_is_bounded_before_drawing() {
    let (status, stderr) = run_child("kb11_child", &[]);
    assert!(status.success(), "child {status}: {stderr}");
}

#[test]
#[ignore = "run by kb11_svg_scratch_is_bounded_before_drawing in a child process"]
fn kb11_child() {
    if !in_child("kb11_child") {
        return;
    }
    let width = |w| ProcessOptions {
        resize: ResizeRequest {
            width: Some(w),
            ..ResizeRequest::default()
        },
        ..ProcessOptions::default()
    };
    let tall_pattern = generated_svg().replacen(
        "width=\"4\" height=\"4\" patternUnits",
        "width=\"4\" height=\"1e9\" patternUnits",
        1,
    );
    assert!(tall_pattern.contains("1e9"), "the seed's pattern changed");
    let nested = |depth: usize| {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"100\">{}\
             <rect x=\"-5e5\" y=\"-5e5\" width=\"1e6\" height=\"1e6\" fill=\"teal\"/>{}</svg>",
            "<g opacity=\"0.9\">".repeat(depth),
            "</g>".repeat(depth)
        )
    };
    for (what, doc, w) in [
        ("a 4 x 1e9 pattern", tall_pattern, 64),
        ("20 nested layers", nested(20), 2000),
    ] {
        let (result, grew) = peak_growth(|| process(doc.as_bytes(), &width(w)).map(|o| o.width));
        assert_eq!(
            result.map_err(|e| e.code),
            Err(ErrorCode::InputTooLarge),
            "{what}"
        );
        assert!(
            grew < 64 << 20,
            "{what}: peak heap grew by {} MiB",
            grew >> 20
        );
    }
    let out = process(nested(3).as_bytes(), &width(2000)).expect("3 nested layers render");
    assert_eq!((out.width, out.height), (2000, 1000));
}

/// KB12 (fixed: `animate::decode_frames` runs the frame decoders under `catch_unwind`, a
/// panic there being the file's damage). Input: the generated animated WebP seed with
/// byte 251 set to 0 and bit 5 of byte 278 flipped (fuzz seed 6051814748841549715, case
/// 550627): an ALPH chunk shorter than its frame. `{ width: 64, height: 48, fit: inside,
/// animated: true }`. Expected: `ERR_INPUT_CORRUPT`. Was: a panic in image-webp 0.2.4
/// (decoder.rs:858, "index out of bounds: the len is 18 but the index is 18"), which is
/// `ERR_INTERNAL` in Node.
#[test]
fn kb12_damaged_animated_webp_alpha_is_corrupt() {
    let mut bytes = generated_seeds()
        .into_iter()
        .find(|s| s.name == "gen-animated.webp")
        .expect("the animated WebP seed")
        .bytes;
    bytes[251] = 0;
    bytes[278] ^= 1 << 5;
    let opts = ProcessOptions {
        resize: ResizeRequest {
            width: Some(64),
            height: Some(48),
            fit: Fit::Inside,
            ..ResizeRequest::default()
        },
        animated: true,
        ..ProcessOptions::default()
    };
    let result = panic::catch_unwind(AssertUnwindSafe(|| process(&bytes, &opts)));
    let code = result
        .expect("no panic")
        .map(|o| o.width)
        .map_err(|e| e.code);
    assert_eq!(code, Err(ErrorCode::InputCorrupt));
}
