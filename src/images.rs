//! `processImages`, `processImage` and `metadata`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, ValueType};

use corepool_core::codec::animation::AnimationInfo;
use corepool_core::codec::Details;
use corepool_core::validate::{invalid, MAX_ARRAY_ITEMS};
use corepool_core::{
    options, start_batch, Encoded, Failure, Header, ImageResult, ProcessOptions, Progress,
    Received, Throttle,
};

use crate::hooks::{self, cancel_flag, CancelToken};
use crate::js::received;
use crate::task::{self, start, Job, Pending, Settle};

/// How often progress may be reported, at most.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);
/// How long a finished batch waits for queued progress calls to reach JS before it
/// resolves anyway (only an event loop blocked for that long would hit it).
const PROGRESS_DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// A per-file error.
#[napi(object)]
pub struct ImageError {
    /// A stable code: `ERR_INPUT_NOT_FOUND`, `ERR_INPUT_UNSUPPORTED`, `ERR_INPUT_CORRUPT`,
    /// `ERR_INPUT_TOO_LARGE`, `ERR_OUTPUT_EXISTS`, `ERR_OUTPUT_WRITE` or `ERR_INTERNAL`.
    pub code: String,
    pub message: String,
}

/// The outcome for one input of `processImages`, in input order.
#[napi(object, js_name = "ImageResult")]
pub struct ImageResultJs {
    pub original_path: String,
    /// The output file ('' when it could not be determined).
    pub output_path: String,
    pub success: bool,
    /// Bytes written (0 on failure).
    pub processed_size: f64,
    /// Output width (0 on failure).
    pub width: u32,
    /// Output height (0 on failure).
    pub height: u32,
    /// Output format: 'jpeg', 'png', 'webp', 'avif', 'gif' or 'tiff' ('' when unknown).
    pub format: String,
    pub duration_ms: f64,
    pub error: Option<ImageError>,
}

impl From<ImageResult> for ImageResultJs {
    fn from(r: ImageResult) -> Self {
        Self {
            original_path: r.original_path,
            output_path: r.output_path,
            success: r.success,
            processed_size: r.processed_size as f64,
            width: r.width,
            height: r.height,
            format: r.format,
            duration_ms: r.duration_ms,
            error: r.error.map(|f| ImageError {
                code: f.code.as_str().to_owned(),
                message: f.message,
            }),
        }
    }
}

/// Where a batch stands.
#[napi(object, js_name = "Progress")]
pub struct ProgressJs {
    pub done: u32,
    pub total: u32,
    pub failed: u32,
    /// The input that just finished.
    pub current_path: String,
}

impl From<Progress> for ProgressJs {
    fn from(p: Progress) -> Self {
        Self {
            done: p.done as u32,
            total: p.total as u32,
            failed: p.failed as u32,
            current_path: p.current_path,
        }
    }
}

/// Describes a JS value `depth` levels deep: objects list their own properties, arrays
/// their items (at most `MAX_ARRAY_ITEMS`), and Buffers and Uint8Arrays their bytes
/// (copied, for images given inside options).
pub(crate) fn received_deep(env: &Env, value: &Unknown, depth: u32) -> Received {
    let _ = env;
    let shallow = received(value);
    if shallow == Received::Other("object")
        && (value.is_buffer().unwrap_or(false) || value.is_typedarray().unwrap_or(false))
    {
        if let Ok(bytes) = unsafe { value.cast::<Uint8Array>() } {
            return Received::Bytes(std::sync::Arc::from(&bytes[..]));
        }
    }
    if depth > 0 && shallow == Received::Other("array") {
        let items = (|| -> Result<Option<Vec<Received>>> {
            let array: Array = unsafe { value.cast()? };
            if array.len() as usize > MAX_ARRAY_ITEMS {
                return Ok(None);
            }
            let mut items = Vec::with_capacity(array.len() as usize);
            for i in 0..array.len() {
                let item: Unknown = array.get(i)?.ok_or_else(|| Error::from_reason("hole"))?;
                items.push(received_deep(env, &item, depth - 1));
            }
            Ok(Some(items))
        })();
        return match items {
            Ok(Some(items)) => Received::Array(items),
            _ => shallow,
        };
    }
    if depth == 0 || shallow != Received::Other("object") {
        return shallow;
    }
    let entries = (|| -> Result<Vec<(String, Received)>> {
        let object: Object = unsafe { value.cast()? };
        let mut entries = Vec::new();
        for key in Object::keys(&object)? {
            let property: Unknown = object.get_named_property(&key)?;
            entries.push((key, received_deep(env, &property, depth - 1)));
        }
        Ok(entries)
    })();
    entries.map_or(shallow, Received::Object)
}

fn parse_options(
    env: &Env,
    value: Option<Unknown>,
) -> std::result::Result<ProcessOptions, Failure> {
    // Options, an operation's object or array, an overlay, its fields.
    let described = value.map(|v| received_deep(env, &v, 3));
    options::parse(described.as_ref())
}

/// The input paths: an array of strings.
fn parse_paths(value: &Unknown) -> std::result::Result<Vec<String>, Failure> {
    let wrong = || invalid("paths", "array of strings", &received(value), false);
    if !value.is_array().unwrap_or(false) {
        return Err(wrong());
    }
    let array: Array = unsafe { value.cast() }.map_err(|_| wrong())?;
    let mut paths = Vec::with_capacity(array.len() as usize);
    for i in 0..array.len() {
        let item: Unknown = array.get(i).ok().flatten().ok_or_else(wrong)?;
        match item.get_type() {
            Ok(ValueType::String) => {
                paths.push(unsafe { item.cast::<String>() }.map_err(|_| wrong())?)
            }
            _ => {
                return Err(invalid(
                    &format!("paths[{i}]"),
                    "string",
                    &received(&item),
                    false,
                ));
            }
        }
    }
    Ok(paths)
}

type ProgressFn = ThreadsafeFunction<Progress, (), ProgressJs, Status, false, true>;

/// Delivers progress to JS through a weak threadsafe function (it does not keep the
/// process alive), throttled, counting calls still queued so the batch can wait for
/// them before it resolves.
struct ProgressSink {
    function: ProgressFn,
    throttle: Throttle,
    queued: Arc<AtomicUsize>,
}

impl ProgressSink {
    fn new(callback: Unknown) -> Result<Self> {
        let function: Function<ProgressJs, ()> = unsafe { callback.cast()? };
        let queued = Arc::new(AtomicUsize::new(0));
        let delivered = queued.clone();
        let function = function
            .build_threadsafe_function::<Progress>()
            .weak::<true>()
            .callee_handled::<false>()
            .build_callback(move |ctx| {
                delivered.fetch_sub(1, Ordering::AcqRel);
                Ok(ProgressJs::from(ctx.value))
            })?;
        Ok(Self {
            function,
            throttle: Throttle::new(PROGRESS_INTERVAL),
            queued,
        })
    }

    fn report(&self, progress: Progress) {
        if self.throttle.admit(&progress) {
            self.queued.fetch_add(1, Ordering::AcqRel);
            if self
                .function
                .call(progress, ThreadsafeFunctionCallMode::NonBlocking)
                != Status::Ok
            {
                self.queued.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }

    /// Waits until every queued report has reached JS.
    fn drain(&self) {
        let started = Instant::now();
        while self.queued.load(Ordering::Acquire) > 0 && started.elapsed() < PROGRESS_DRAIN_LIMIT {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Processes every file in `paths` on all cores and resolves with one result per
/// input, in input order. A bad file gets `success: false` and an `error`; only bad
/// arguments or options (`ERR_INVALID_OPTION`), an abort (`ERR_ABORTED`) or a full
/// queue (`ERR_QUEUE_FULL`) reject the promise.
#[napi(
    ts_args_type = "paths: string[], options?: ProcessOptions, hooks?: BatchHooks | undefined | null",
    ts_return_type = "Promise<ImageResult[]>"
)]
pub fn process_images<'env>(
    env: &'env Env,
    paths: Unknown,
    options: Option<Unknown>,
    hooks: Option<Unknown>,
    token: Option<ClassInstance<CancelToken>>,
) -> Result<Pending<'env, Vec<ImageResult>, Vec<ImageResultJs>>> {
    let cancel = cancel_flag(token);
    let job = (|| {
        let paths = parse_paths(&paths)?;
        let opts = parse_options(env, options)?;
        let hooks = hooks::parse(hooks, &["signal", "onProgress"])?;
        let sink = match hooks.on_progress {
            Some(f) => Some(ProgressSink::new(f).map_err(|e| Failure::internal(e.reason))?),
            None => None,
        };
        Ok(Box::new(move |settle: Settle<Vec<ImageResult>>| {
            let sink = sink.map(Arc::new);
            let reporter = sink.clone();
            start_batch(
                paths,
                opts,
                cancel,
                Box::new(move |p: Progress| {
                    if let Some(sink) = &reporter {
                        sink.report(p);
                    }
                }),
                Box::new(move |outcome| {
                    if let Some(sink) = &sink {
                        sink.drain();
                    }
                    settle(outcome);
                }),
            )
        }) as Job<_>)
    })();
    start(env, job, |results| {
        results.into_iter().map(ImageResultJs::from).collect()
    })
}

/// An image input as given: a file path, read when the work runs (as the decoder needs
/// it, never whole for most formats), or bytes (a `Buffer` or `Uint8Array`, copied).
enum ImageInput {
    Path(String),
    Bytes(Vec<u8>),
}

fn image_input(input: &Unknown) -> std::result::Result<ImageInput, Failure> {
    let wrong = || {
        invalid(
            "input",
            "Buffer, Uint8Array or string (a file path)",
            &received(input),
            false,
        )
    };
    match input.get_type() {
        Ok(ValueType::String) => Ok(ImageInput::Path(
            unsafe { input.cast() }.map_err(|_| wrong())?,
        )),
        Ok(ValueType::Object)
            if input.is_typedarray().unwrap_or(false) || input.is_buffer().unwrap_or(false) =>
        {
            let bytes: Uint8Array = unsafe { input.cast() }.map_err(|_| wrong())?;
            Ok(ImageInput::Bytes(bytes.to_vec()))
        }
        _ => Err(wrong()),
    }
}

/// What `processImage` resolves with.
#[napi(object)]
pub struct ProcessedImage {
    pub data: Buffer,
    pub info: OutputInfo,
}

#[napi(object)]
pub struct OutputInfo {
    pub format: String,
    pub width: u32,
    pub height: u32,
    pub channels: u32,
    /// Bytes of `data`.
    pub size: u32,
}

/// Processes one image in memory (for example an upload in an Express handler):
/// bytes (or a path) in, encoded bytes out. Same options as `processImages`, except
/// that `outputDir`, `prefix`, `suffix` and `overwrite` do not apply. Failures reject
/// with a coded error; `hooks.signal` aborts at the next stage boundary.
#[napi(
    ts_args_type = "input: Buffer | Uint8Array | string, options?: ProcessOptions, hooks?: ImageHooks | undefined | null",
    ts_return_type = "Promise<ProcessedImage>"
)]
pub fn process_image<'env>(
    env: &'env Env,
    input: Unknown,
    options: Option<Unknown>,
    hooks: Option<Unknown>,
    token: Option<ClassInstance<CancelToken>>,
) -> Result<Pending<'env, Encoded, ProcessedImage>> {
    let cancel = cancel_flag(token);
    let job = (|| {
        let opts = parse_options(env, options)?;
        let input = image_input(&input)?;
        hooks::parse(hooks, &["signal"])?;
        Ok(task::one(move || match &input {
            ImageInput::Path(path) => corepool_core::process_path(path.as_ref(), &opts, &cancel),
            ImageInput::Bytes(bytes) => corepool_core::process(bytes, &opts, &cancel),
        }))
    })();
    start(env, job, |out| ProcessedImage {
        info: OutputInfo {
            format: out.format.name().to_owned(),
            width: out.width,
            height: out.height,
            channels: u32::from(out.channels),
            size: out.data.len() as u32,
        },
        data: out.data.into(),
    })
}

/// What the header of an image says (read without decoding pixels), with sharp's
/// metadata() names and meanings.
#[napi(object)]
pub struct ImageInfo {
    /// 'jpeg', 'png', 'webp', 'avif', 'gif', 'tiff', 'bmp', 'vips' or 'svg'.
    pub format: String,
    /// As stored (before EXIF orientation).
    pub width: u32,
    pub height: u32,
    pub channels: u32,
    pub has_alpha: bool,
    /// EXIF orientation, 1..=8 (1 when absent; sharp leaves it out then).
    pub orientation: u32,
    /// Input size in bytes.
    pub size: f64,
    /// GIF and WebP: the number of frames (1 for a still image).
    pub pages: Option<u32>,
    /// GIF and animated WebP: each frame's delay in milliseconds.
    pub delay: Option<Vec<u32>>,
    /// GIF and animated WebP: how many times the animation plays, 0 for forever.
    #[napi(js_name = "loop")]
    pub loop_count: Option<u32>,
    /// Progressive JPEG or interlaced PNG.
    pub is_progressive: bool,
    /// JPEG chroma subsampling as libvips names it: '4:2:0' or '4:4:4' ('4:2:0:4' or
    /// '4:4:4:4' for CMYK); absent for other formats.
    pub chroma_subsampling: Option<String>,
    /// Pixels per inch, rounded, as sharp reports it: JPEG from EXIF, else JFIF, else
    /// 72; PNG from pHYs, else 72; TIFF from its resolution tags; SVG the density it
    /// was sized at; absent for GIF, WebP.
    pub density: Option<u32>,
    /// An embedded ICC profile.
    pub has_profile: bool,
    /// Palette-based (GIF, PNG of colour type 3, TIFF with a colour map).
    pub is_palette: bool,
    /// Bits per sample of PNG (1, 2, 4, 8 or 16), GIF (8) and TIFF; absent for JPEG and
    /// WebP.
    pub bits_per_sample: Option<u32>,
}

/// What `metadata` reads on a worker: the header, the details read from the same bytes,
/// the input's size in bytes, and the animation of a GIF or WebP.
type Probed = (Header, Details, usize, Option<AnimationInfo>);

/// Reads an image's header without decoding its pixels.
#[napi(
    ts_args_type = "input: Buffer | Uint8Array | string, hooks?: MetadataHooks | undefined | null",
    ts_return_type = "Promise<ImageInfo>"
)]
pub fn metadata<'env>(
    env: &'env Env,
    input: Unknown,
    hooks: Option<Unknown>,
    token: Option<ClassInstance<CancelToken>>,
) -> Result<Pending<'env, Probed, ImageInfo>> {
    let cancel = cancel_flag(token);
    let job = (|| {
        let limit = corepool_core::limits::current().input_bytes;
        let input = image_input(&input)?;
        let density = hooks::parse(hooks, &["signal", "density"])?
            .density
            .unwrap_or(corepool_core::codec::DEFAULT_DENSITY);
        Ok(task::one(move || {
            if cancel.is_cancelled() {
                return Err(Failure::aborted());
            }
            let probed = match &input {
                // A path: the header is read from a bounded prefix of the file.
                ImageInput::Path(path) => {
                    let (header, details, animation, size) =
                        corepool_core::metadata::probe_file_details(path.as_ref(), limit, density)?;
                    (header, details, size as usize, animation)
                }
                ImageInput::Bytes(bytes) => {
                    let header = corepool_core::codec::probe_at(bytes, density)?;
                    let details = corepool_core::codec::details(bytes, header.format);
                    let animation = corepool_core::metadata::animation(&&bytes[..], header.format);
                    (header, details, bytes.len(), animation)
                }
            };
            let (header, mut details, size, animation) = probed;
            if header.format == corepool_core::Format::Svg {
                // As sharp reports it: the density the SVG was sized at.
                details.density = Some(density.round() as u32);
            }
            Ok((header, details, size, animation))
        }))
    })();
    start(env, job, |(h, d, size, animation)| ImageInfo {
        format: h.format.name().to_owned(),
        width: h.width,
        height: h.height,
        channels: u32::from(h.channels),
        has_alpha: h.has_alpha,
        orientation: u32::from(h.orientation),
        size: size as f64,
        // A still WebP has no delays or loop count to report.
        delay: animation
            .as_ref()
            .filter(|a| !a.delays_ms.is_empty())
            .map(|a| a.delays_ms.clone()),
        loop_count: animation
            .as_ref()
            .filter(|a| !a.delays_ms.is_empty())
            .map(|a| a.loop_count),
        pages: animation.map(|a| a.pages),
        is_progressive: d.is_progressive,
        chroma_subsampling: d.chroma_subsampling.map(str::to_owned),
        density: d.density,
        has_profile: d.has_profile,
        is_palette: d.is_palette,
        bits_per_sample: d.bits_per_sample.map(u32::from),
    })
}
