// Contender (quarter turns only): sharp rotating first, then resizing into the swapped
// box: corepool's output geometry, so the quality gate's reference for workload a.
// Slower than the users' chain (no JPEG shrink-on-load after a rotation); Promise.all.
import { needsQuarterTurn, sharpRotateFirst } from '../lib/pipelines.mjs'
import { sharpContender } from './sharp-common.mjs'

export const { id, label, load, run } = sharpContender({
  id: 'sharp-rotate-first',
  label: 'sharp, rotate first (corepool geometry)',
  write: (sharp, input, o, output) => sharpRotateFirst(sharp, input, o).toFile(output),
})

/** Only meaningful when the workload rotates by 90 or 270 degrees. */
export const appliesTo = needsQuarterTurn
