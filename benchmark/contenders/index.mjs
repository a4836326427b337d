// Registry of contenders, in their default order (the order rotates per round).
export const CONTENDER_IDS = ['corepool', 'sharp', 'sharp-rotate-first', 'sharp-2pass', 'worker-pool', 'napi-image']

/** Import a contender module by id. */
export async function importContender(id) {
  if (!CONTENDER_IDS.includes(id)) throw new Error(`unknown contender "${id}" (allowed: ${CONTENDER_IDS.join(', ')})`)
  return import(new URL(`./${id}.mjs`, import.meta.url))
}
