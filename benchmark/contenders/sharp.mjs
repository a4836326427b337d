// Contender: sharp as its users write it (the headline): Promise.all over one chain
// per file (resize, then rotate, then grey, then encode), with sharp's default
// concurrency (libuv threadpool + libvips threads).
import { sharpUsersChain } from '../lib/pipelines.mjs'
import { sharpContender } from './sharp-common.mjs'

export const { id, label, load, run } = sharpContender({
  id: 'sharp',
  label: "sharp, the users' chain (Promise.all)",
  write: (sharp, input, o, output) => sharpUsersChain(sharp, input, o).toFile(output),
})
