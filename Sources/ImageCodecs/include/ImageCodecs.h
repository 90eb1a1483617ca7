#ifndef CNNB_IMAGE_CODECS_H
#define CNNB_IMAGE_CODECS_H

#include <stddef.h>

/// A decoded image: width x height pixels of `channels` bytes each (3: RGB, 4: RGBA), row by
/// row; `pixels` is malloc'ed and freed with cnnb_image_free. On failure `pixels` is NULL and
/// `error` holds the library's message.
typedef struct {
    unsigned char *pixels;
    int width;
    int height;
    int channels;
    char error[200];
} cnnb_image;

/// PNG (libpng) as RGBA: palette, grey, 16-bit and alpha inputs all arrive as 8-bit RGBA.
/// An image of more than `max_pixels` pixels is an error before its pixels are allocated.
cnnb_image cnnb_decode_png(const unsigned char *data, size_t size, unsigned long long max_pixels);

/// JPEG (libjpeg-turbo) as RGB, with libjpeg's default (islow) DCT and fancy upsampling;
/// `max_pixels` as for PNG.
cnnb_image cnnb_decode_jpeg(const unsigned char *data, size_t size, unsigned long long max_pixels);

void cnnb_image_free(cnnb_image *image);

/// 8-bit grey (1 channel) or RGB (3) pixels as a PNG file in memory, written by libpng;
/// `*size` gets its length. Returns a malloc'ed buffer, or NULL on failure.
unsigned char *cnnb_encode_png(const unsigned char *pixels, int width, int height, int channels, size_t *size);

#endif
