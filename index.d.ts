// corepool's types: the native binding's (generated from the Rust sources into
// binding.d.ts) re-exported as they are.
export * from './binding'
