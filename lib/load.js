'use strict'

// Loads the native binding, with one readable error when there is none for this
// platform instead of napi-rs's generic message.

/** 'glibc', 'musl' or null (not Linux, or unknown). */
function libc() {
  if (process.platform !== 'linux') return null
  try {
    process.report.excludeNetwork = true
    const report = process.report.getReport()
    if (report.header && report.header.glibcVersionRuntime) return 'glibc'
    if ((report.sharedObjects || []).some((f) => f.includes('musl'))) return 'musl'
  } catch {
    // No report support: fall through.
  }
  return null
}

/** `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`: napi-rs's name for this platform. */
function platformName() {
  const { platform, arch } = process
  if (platform === 'linux') return `linux-${arch}-${libc() === 'musl' ? 'musl' : 'gnu'}`
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

/**
 * The first line of each load attempt's error, oldest first. napi-rs's loader throws one
 * "Cannot find native binding. npm has a bug ..." error whose `cause` chains the errors
 * of its attempts (the local `.node`, then the platform package), newest first; any other
 * error stands for itself.
 */
function attempts(cause) {
  const firstLine = (e) => (e && e.message ? String(e.message) : String(e)).split('\n')[0]
  if (!(cause && /^Cannot find native binding/.test(cause.message) && cause.cause)) return [firstLine(cause)]
  const lines = []
  for (let e = cause.cause; e; e = e.cause) lines.unshift(firstLine(e))
  return lines
}

/** The binding's exports; throws an `Error` with code `ERR_COREPOOL_NO_BINARY` when none loads. */
function loadBinding() {
  try {
    return require('../binding.js')
  } catch (cause) {
    const name = platformName()
    const libcName = process.platform === 'linux' ? `, ${libc() ?? 'unknown libc'}` : ''
    const err = new Error(
      `corepool has no native binary for this platform (${name}: ${process.platform}, ${process.arch}${libcName}).\n` +
        `- Installed from npm: reinstall without --no-optional or --omit=optional, so that npm adds ` +
        `corepool-${name}; if npm has no such package, corepool is not published for this platform yet.\n` +
        `- In a clone of the repository: npm run build (needs Rust and a C compiler).\n` +
        `Tried:\n${attempts(cause)
          .map((line) => `- ${line}`)
          .join('\n')}`,
      { cause },
    )
    err.code = 'ERR_COREPOOL_NO_BINARY'
    throw err
  }
}

module.exports = { loadBinding, platformName }
