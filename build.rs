fn main() {
    warn_without_nasm();
    napi_build::setup();
}

/// MozJPEG's SIMD code for x86 is assembled with nasm. mozjpeg-sys builds the plain C
/// code instead when nasm is missing, without a word, and JPEG then decodes and
/// encodes markedly slower (issue 11 measured 1.07x sharp instead of 1.21x). Say so
/// once, with the fix. Published binaries are always SIMD builds (`npm run package`
/// refuses to run without nasm).
fn warn_without_nasm() {
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if !matches!(arch.as_str(), "x86" | "x86_64") {
        return;
    }
    let found = std::process::Command::new("nasm")
        .arg("-v")
        .output()
        .is_ok_and(|out| out.status.success());
    if !found {
        println!(
            "cargo:warning=nasm is not on PATH: MozJPEG is being built without its SIMD code, so JPEG \
             decoding and encoding will be markedly slower. Install nasm (apt-get install nasm, \
             brew install nasm or choco install nasm), then rebuild (cargo clean -p mozjpeg-sys first)."
        );
    }
}
