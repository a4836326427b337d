// Machine-wide CPU accounting from /proc/stat (Linux), to detect other processes
// competing for the cores while a contender runs. Elsewhere these return null.
import fs from 'node:fs'

/** Busy and total jiffies summed over all CPUs, or null where /proc/stat is absent. */
export function readCpuTimes() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] // "cpu  user nice system idle iowait irq softirq steal ..."
    const v = line.trim().split(/\s+/).slice(1).map(Number)
    const idle = v[3] + (v[4] ?? 0)
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0)
    return { busy: total - idle, total }
  } catch {
    return null
  }
}

/** Fraction (0..1) of the whole machine that was busy between two readings. */
export function machineUtil(before, after) {
  if (!before || !after || after.total <= before.total) return null
  return (after.busy - before.busy) / (after.total - before.total)
}

/** Sample the machine for `ms` while this process idles: the load other processes put on it. */
export async function sampleBackgroundLoad(ms = 1000) {
  const before = readCpuTimes()
  await new Promise((r) => setTimeout(r, ms))
  return machineUtil(before, readCpuTimes())
}
