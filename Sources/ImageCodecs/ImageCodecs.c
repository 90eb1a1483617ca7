// libjpeg reports a corrupt file by calling error_exit, which must not return: it jumps back
// here with longjmp, which Swift cannot do. libpng's simplified API returns its errors.
#include "ImageCodecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>
#include <jpeglib.h>

cnnb_image cnnb_decode_png(const unsigned char *data, size_t size, unsigned long long max_pixels) {
    cnnb_image result;
    memset(&result, 0, sizeof result);
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, data, size)) {
        snprintf(result.error, sizeof result.error, "%s", image.message);
        return result;
    }
    // The header's sizes (up to a million each) are checked before the pixels are allocated.
    if ((unsigned long long)image.width * image.height > max_pixels) {
        snprintf(result.error, sizeof result.error, "%u x %u pixels, more than the %llu cnnb decodes",
                 image.width, image.height, max_pixels);
        png_image_free(&image);
        return result;
    }
    image.format = PNG_FORMAT_RGBA;
    size_t bytes = PNG_IMAGE_SIZE(image);
    unsigned char *pixels = malloc(bytes > 0 ? bytes : 1);
    if (pixels == NULL) {
        png_image_free(&image);
        snprintf(result.error, sizeof result.error, "out of memory for %u x %u pixels", image.width, image.height);
        return result;
    }
    if (!png_image_finish_read(&image, NULL, pixels, 0, NULL)) {
        snprintf(result.error, sizeof result.error, "%s", image.message);
        free(pixels);
        png_image_free(&image);
        return result;
    }
    result.pixels = pixels;
    result.width = (int)image.width;
    result.height = (int)image.height;
    result.channels = 4;
    return result;
}

struct cnnb_jpeg_error {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

static void cnnb_jpeg_error_exit(j_common_ptr info) {
    struct cnnb_jpeg_error *error = (struct cnnb_jpeg_error *)info->err;
    (*info->err->format_message)(info, error->message);
    longjmp(error->jump, 1);
}

// Warnings (a truncated file, say) are kept quiet: libjpeg fills what is missing with grey.
static void cnnb_jpeg_output_message(j_common_ptr info) { (void)info; }

cnnb_image cnnb_decode_jpeg(const unsigned char *data, size_t size, unsigned long long max_pixels) {
    cnnb_image result;
    memset(&result, 0, sizeof result);
    struct jpeg_decompress_struct info;
    struct cnnb_jpeg_error error;
    unsigned char *volatile pixels = NULL;
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = cnnb_jpeg_error_exit;
    error.manager.output_message = cnnb_jpeg_output_message;
    if (setjmp(error.jump)) {
        snprintf(result.error, sizeof result.error, "%s", error.message);
        jpeg_destroy_decompress(&info);
        free(pixels);
        return result;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    // Checked before jpeg_start_decompress, which allocates a progressive file's coefficients
    // for the whole image (up to 65,500 x 65,500).
    if ((unsigned long long)info.image_width * info.image_height > max_pixels) {
        snprintf(result.error, sizeof result.error, "%u x %u pixels, more than the %llu cnnb decodes",
                 info.image_width, info.image_height, max_pixels);
        jpeg_destroy_decompress(&info);
        return result;
    }
    info.out_color_space = JCS_RGB;
    jpeg_start_decompress(&info);
    size_t stride = (size_t)info.output_width * 3;
    pixels = malloc(stride * info.output_height + 1);
    if (pixels == NULL) {
        snprintf(result.error, sizeof result.error, "out of memory for %u x %u pixels", info.output_width, info.output_height);
        jpeg_destroy_decompress(&info);
        return result;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + stride * info.output_scanline;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    result.pixels = pixels;
    result.width = (int)info.output_width;
    result.height = (int)info.output_height;
    result.channels = 3;
    jpeg_destroy_decompress(&info);
    return result;
}

unsigned char *cnnb_encode_png(const unsigned char *pixels, int width, int height, int channels, size_t *size) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = (png_uint_32)width;
    image.height = (png_uint_32)height;
    image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    size_t needed = 0;
    // The first call measures, the second writes.
    if (!png_image_write_to_memory(&image, NULL, &needed, 0, pixels, 0, NULL)) return NULL;
    unsigned char *buffer = malloc(needed > 0 ? needed : 1);
    if (buffer == NULL) return NULL;
    if (!png_image_write_to_memory(&image, buffer, &needed, 0, pixels, 0, NULL)) {
        free(buffer);
        return NULL;
    }
    *size = needed;
    return buffer;
}

void cnnb_image_free(cnnb_image *image) {
    free(image->pixels);
    image->pixels = NULL;
}
