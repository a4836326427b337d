fn main() {
    warn_without_nasm();
    bind_symbols_locally();
    napi_build::setup();
}

/// rav1d's x86 assembly (AVIF decoding) reads its tables, Rust statics exported for it,
/// with PC-relative relocations, which a shared library may use only for symbols bound
/// inside it; ELF makes exported symbols preemptible, and the link of the addon fails
/// ("relocation R_X86_64_PC32 cannot be used against symbol dav1d_mc_subpel_filters",
/// memorysafety/rav1d#1367). `-Bsymbolic` binds the addon's own symbols to their own
/// definitions: nothing outside ever overrides them anyway. (Mach-O and PE have no
/// symbol preemption, so only ELF targets need it.)
fn bind_symbols_locally() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(os.as_str(), "linux" | "android" | "freebsd") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-Bsymbolic");
    }
}

/// MozJPEG's SIMD code for x86 is assembled with nasm. mozjpeg-sys builds the plain C
/// code instead when nasm is missing, without a word, and JPEG then decodes and
/// encodes markedly slower (issue 11 measured 1.07x sharp instead of 1.21x). rav1d
/// (AVIF decoding) assembles its x86 SIMD with nasm too, and its build fails without
/// it. Say so once, with the fix. Published binaries are always
/// SIMD builds (`npm run package` refuses to run without nasm).
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
            "cargo:warning=nasm is not on PATH: rav1d (AVIF input) cannot be built without it, and \
             MozJPEG would be built without its SIMD code (JPEG markedly slower). Install nasm \
             (apt-get install nasm, brew install nasm or choco install nasm), then rebuild \
             (cargo clean -p mozjpeg-sys first)."
        );
    }
}
