//! Brute-force references for the sieve's tests: obviously correct, slow.

use super::wheel::RESIDUES;

/// The numbers whose bits are clear in `bytes`, wheel bytes from `chunk_lo`, ascending.
pub fn cleared_numbers(bytes: &[u8], chunk_lo: u64) -> Vec<u64> {
    let mut numbers = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        for (k, &r) in RESIDUES.iter().enumerate() {
            if b & (1 << k) == 0 {
                numbers.push(30 * (chunk_lo + i as u64) + u64::from(r));
            }
        }
    }
    numbers
}

/// The numbers whose bits are set in `bytes`, wheel bytes from `chunk_lo`, ascending.
pub fn set_numbers(bytes: &[u8], chunk_lo: u64) -> Vec<u64> {
    let inverted: Vec<u8> = bytes.iter().map(|b| !b).collect();
    cleared_numbers(&inverted, chunk_lo)
}

/// The multiples `p*m`, `m >= p` coprime to 30, of any of `primes` in the wheel bytes
/// `chunk_lo .. chunk_lo + len`, ascending and without repeats: what crossing off
/// `primes` over that range must clear.
pub fn multiples_in(primes: &[u32], chunk_lo: u64, len: usize) -> Vec<u64> {
    let (lo, hi) = (30 * chunk_lo, 30 * (chunk_lo + len as u64));
    let mut all: Vec<u64> = primes
        .iter()
        .flat_map(|&p| {
            let p = u64::from(p);
            (lo.div_ceil(p).max(p)..hi.div_ceil(p))
                .filter(|m| m % 2 != 0 && m % 3 != 0 && m % 5 != 0)
                .map(move |m| m * p)
        })
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// The primes in `lo .. hi`, by a byte-per-number sieve of that window with every prime
/// up to `sqrt(hi)`, themselves from a plain byte-per-number sieve.
pub fn primes_in_window(lo: u64, hi: u64) -> Vec<u64> {
    let root = hi.isqrt() + 1;
    let mut is_composite = vec![false; root as usize + 1];
    let small: Vec<u64> = (2..=root)
        .filter(|&n| {
            if is_composite[n as usize] {
                return false;
            }
            let mut m = n * n;
            while m <= root {
                is_composite[m as usize] = true;
                m += n;
            }
            true
        })
        .collect();
    let mut composite = vec![false; (hi - lo) as usize];
    for &p in &small {
        let mut m = lo.div_ceil(p).max(p) * p;
        while m < hi {
            composite[(m - lo) as usize] = true;
            m += p;
        }
    }
    (lo.max(2)..hi)
        .filter(|&n| !composite[(n - lo) as usize])
        .collect()
}

/// A fixed-seed xorshift: reproducible, no dependency.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
