// Contender: sharp tuned for quarter-turn rotations (workload a only): a
// resize-to-raw pass, then a rotate-and-encode pass on the small image, so the
// full-size image is never rotated. Same output as corepool; Promise.all as for sharp.
import { needsQuarterTurn, sharpTwoPass } from '../lib/pipelines.mjs'
import { sharpContender } from './sharp-common.mjs'

export const { id, label, load, run } = sharpContender({
  id: 'sharp-2pass',
  label: 'sharp, 2 passes (resize, then rotate)',
  write: sharpTwoPass,
})

/** Only meaningful when the workload rotates by 90 or 270 degrees. */
export const appliesTo = needsQuarterTurn
