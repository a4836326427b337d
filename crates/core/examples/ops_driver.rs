//! Times the convolution operations on one large image outside Node, for tuning the
//! row parallelism inside an image (`ops::convolve::PARALLEL_SAMPLES`):
//!
//!   cargo run --release -p corepool-core --example ops_driver -- [WIDTH] [HEIGHT] [RUNS]
//!
//! Runs `sharpen { sigma: 1 }`, `sharpen: true` and `blur: 2` on a noisy RGB image
//! (default 1920x1280), RUNS times each (default 5), inside a rayon pool of 1 thread
//! and then of every core, and prints each one's median wall time and CPU time.

use std::time::Instant;

use corepool_core::ops::{Blur, Sharpen, SharpenParams};
use corepool_core::Raster;

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let get = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 100.0
    };
    get(11) + get(12)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<u32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (w, h, runs) = (
        *args.first().unwrap_or(&1920),
        *args.get(1).unwrap_or(&1280),
        *args.get(2).unwrap_or(&5) as usize,
    );
    let mut seed = 1u32;
    let data = (0..w as usize * h as usize * 3)
        .map(|i| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            ((i % 251) as u8).wrapping_add((seed >> 27) as u8)
        })
        .collect();
    let image = Raster::new(w, h, 3, data).expect("consistent sizes");
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    type Op = (&'static str, Box<dyn Fn(&Raster) -> Raster + Sync + Send>);
    let ops: Vec<Op> = vec![
        (
            "sharpen sigma 1",
            Box::new(|r: &Raster| r.sharpen(&Sharpen::Lab(SharpenParams::with_sigma(1.0)))),
        ),
        (
            "sharpen mild",
            Box::new(|r: &Raster| r.sharpen(&Sharpen::Mild)),
        ),
        ("blur 2", Box::new(|r: &Raster| r.blur(Blur::Gaussian(2.0)))),
    ];
    for threads in [1, cores] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        for (name, op) in &ops {
            let (mut walls, mut cpus) = (Vec::new(), Vec::new());
            for _ in 0..runs {
                let (c0, t0) = (cpu_seconds(), Instant::now());
                let out = pool.install(|| op(&image));
                walls.push(t0.elapsed().as_secs_f64() * 1000.0);
                cpus.push((cpu_seconds() - c0) * 1000.0);
                std::hint::black_box(out);
            }
            println!(
                "{w}x{h} {name:<16} {threads} thread(s): wall {:7.1} ms, cpu {:7.1} ms (medians of {runs})",
                median(walls),
                median(cpus)
            );
        }
    }
}
