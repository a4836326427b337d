/*
 * The decode floor of a JPEG batch: plain libjpeg-turbo (the copy corepool vendors,
 * through mozjpeg-sys, SIMD included), decoding each file to RGB (grey files to
 * grey) at a DCT scale of 1/denominator, on N threads, files taken largest first.
 * Nothing else: no resize, no colour conversion beyond libjpeg's, no encode, no I/O
 * while timed (every file is read into memory first).
 *
 *   jpeg-floor THREADS DENOMINATOR:FILE...
 *
 * Prints one JSON line: {"wallMs": ..., "files": N, "pixels": decoded pixels}.
 * benchmark/lib/floor.mjs builds and runs it.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jpeglib.h"

struct job {
  unsigned char *data;
  unsigned long size;
  int denominator;
  const char *path;
};

static struct job *jobs;
static int job_count;
static atomic_int next_job;
static atomic_llong decoded_pixels;
static atomic_int failures;

struct fail_mgr {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
};

static void on_error(j_common_ptr cinfo) {
  struct fail_mgr *err = (struct fail_mgr *)cinfo->err;
  longjmp(err->jump, 1);
}

static void decode_one(const struct job *job) {
  struct jpeg_decompress_struct cinfo;
  struct fail_mgr err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    fprintf(stderr, "jpeg-floor: cannot decode %s\n", job->path);
    atomic_fetch_add(&failures, 1);
    return;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, job->data, job->size);
  jpeg_read_header(&cinfo, TRUE);
  cinfo.scale_num = 1;
  cinfo.scale_denom = (unsigned int)job->denominator;
  cinfo.out_color_space = cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  size_t stride = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
  /* The whole image, as a decoder that hands back a raster must hold it. */
  JSAMPLE *image = malloc(stride * cinfo.output_height);
  while (image && cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = image + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  atomic_fetch_add(&decoded_pixels, (long long)cinfo.output_width * cinfo.output_height);
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  free(image);
}

static void *worker(void *arg) {
  (void)arg;
  for (;;) {
    int i = atomic_fetch_add(&next_job, 1);
    if (i >= job_count) return NULL;
    decode_one(&jobs[i]);
  }
}

static int larger_first(const void *a, const void *b) {
  const struct job *x = a, *y = b;
  return (y->size > x->size) - (y->size < x->size);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: jpeg-floor THREADS DENOMINATOR:FILE...\n");
    return 2;
  }
  int threads = atoi(argv[1]);
  if (threads < 1) threads = 1;
  job_count = argc - 2;
  jobs = calloc((size_t)job_count, sizeof *jobs);
  for (int i = 0; i < job_count; i++) {
    char *arg = argv[i + 2];
    char *colon = strchr(arg, ':');
    if (!colon) {
      fprintf(stderr, "jpeg-floor: expected DENOMINATOR:FILE, got %s\n", arg);
      return 2;
    }
    *colon = 0;
    jobs[i].denominator = atoi(arg);
    jobs[i].path = colon + 1;
    FILE *f = fopen(jobs[i].path, "rb");
    if (!f) {
      fprintf(stderr, "jpeg-floor: cannot open %s\n", jobs[i].path);
      return 1;
    }
    fseek(f, 0, SEEK_END);
    jobs[i].size = (unsigned long)ftell(f);
    fseek(f, 0, SEEK_SET);
    jobs[i].data = malloc(jobs[i].size);
    if (!jobs[i].data || fread(jobs[i].data, 1, jobs[i].size, f) != jobs[i].size) {
      fprintf(stderr, "jpeg-floor: cannot read %s\n", jobs[i].path);
      return 1;
    }
    fclose(f);
  }
  /* Largest first (by compressed size, a fair proxy for decode time), as corepool. */
  qsort(jobs, (size_t)job_count, sizeof *jobs, larger_first);
  pthread_t *ids = calloc((size_t)threads, sizeof *ids);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, worker, NULL);
  for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  printf("{\"wallMs\": %.3f, \"files\": %d, \"pixels\": %lld, \"failures\": %d}\n", ms, job_count,
         (long long)atomic_load(&decoded_pixels), atomic_load(&failures));
  return atomic_load(&failures) ? 1 : 0;
}
