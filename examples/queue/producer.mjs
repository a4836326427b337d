// Puts image jobs on a BullMQ queue for `corepool worker` and prints each job's results.
//
//   node examples/queue/producer.mjs [--redis redis://127.0.0.1:6379] [--queue images]
//                                    [--out /shared/thumbs] [--per-job 8] FILE...
//
// FILE paths must be visible at the same path on every worker (a shared volume); they
// are made absolute here. Jobs of --per-job images each, resized to 320 px WebP into
// --out. Retries: 3 attempts; a worker that dies mid-job is recovered by another one.
import path from 'node:path'
import { parseArgs } from 'node:util'
import { Queue, QueueEvents } from 'bullmq'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    redis: { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    queue: { type: 'string', default: 'images' },
    out: { type: 'string', default: 'thumbs' },
    'per-job': { type: 'string', default: '8' },
  },
})
if (positionals.length === 0) {
  console.error('usage: node examples/queue/producer.mjs [--redis URL] [--queue NAME] [--out DIR] FILE...')
  process.exit(2)
}

const connection = { url: values.redis, maxRetriesPerRequest: null }
const queue = new Queue(values.queue, { connection })
const events = new QueueEvents(values.queue, { connection })
await events.waitUntilReady()

const files = positionals.map((f) => path.resolve(f))
const perJob = Number(values['per-job'])
const options = { width: 320, format: 'webp', quality: 80, outputDir: path.resolve(values.out) }
const jobs = []
for (let i = 0; i < files.length; i += perJob) {
  jobs.push({
    name: 'thumbnails',
    data: { paths: files.slice(i, i + perJob), options },
    opts: { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 1000 },
  })
}
const added = await queue.addBulk(jobs)
console.log(`added ${added.length} jobs (${files.length} images) to '${values.queue}'`)

events.on('progress', ({ jobId, data }) =>
  console.log(`job ${jobId}: ${data.done}/${data.total}, ${data.failed} failed`),
)
const outcomes = await Promise.allSettled(added.map((job) => job.waitUntilFinished(events)))
for (const [i, outcome] of outcomes.entries()) {
  if (outcome.status === 'rejected') {
    console.log(`job ${added[i].id} failed: ${outcome.reason.message}`)
    continue
  }
  for (const r of outcome.value) {
    console.log(r.success ? `${r.outputPath} ${r.width}x${r.height}` : `${r.originalPath}: ${r.error.code}`)
  }
}
await events.close()
await queue.close()
