#ifndef CNNB_HDF5_FILES_H
#define CNNB_HDF5_FILES_H

#include <stddef.h>
#include <stdint.h>

// HDF5's type and property constants are macros Swift cannot import; these wrap the few calls
// a Keras weights file needs. Every function returns a negative value on failure.

/// Creates a file in memory (nothing is written to disk); returns its handle.
int64_t cnnb_h5_create_in_memory(void);
/// Copies the bytes of a file made by cnnb_h5_create_in_memory into `buffer` (up to `size`),
/// after flushing it; returns the file's length (with a NULL buffer, only that).
long long cnnb_h5_file_image(int64_t file, void *buffer, size_t size);
/// Opens (read-only) a file; returns its handle.
int64_t cnnb_h5_open(const char *path);
/// Opens (read-only) the HDF5 file whose bytes are `bytes`, without a file on disk.
int64_t cnnb_h5_open_image(const void *bytes, size_t size);
int cnnb_h5_close(int64_t file);
/// Whether reading the HDF5 file at `path` (or, when `path` is NULL, the image `bytes`) ends
/// normally: a child process opens it, looks up every link and reads every dataset. Some
/// damaged files make libhdf5 itself crash (a copy into a null buffer in 1.10); a crash there
/// ends only the child. 0 when the child crashed or hung, else 1.
int cnnb_h5_survives_reading(const char *path, const void *bytes, size_t size);

/// Creates the group at `path` (its parents must exist).
int cnnb_h5_make_group(int64_t file, const char *path);
/// Sets a string attribute on the object at `path`, as h5py writes `group.attrs["name"] = "…"`.
int cnnb_h5_set_string_attribute(int64_t file, const char *path, const char *name, const char *value);
/// Writes a float32 dataset of `rank` dimensions at `path`.
int cnnb_h5_write_floats(int64_t file, const char *path, int rank, const uint64_t *dimensions, const float *values);

/// 1 when `path` exists in the file, 0 when not.
int cnnb_h5_exists(int64_t file, const char *path);
/// The rank of the dataset at `path`, with up to 8 dimensions written to `dimensions`.
int cnnb_h5_dataset_shape(int64_t file, const char *path, uint64_t *dimensions);
/// Reads the dataset at `path` as float32 into `values` (sized from its shape): -2 without
/// reading when its numbers are over 8 bytes or not numbers, or its chunks over 256 MB (a
/// damaged file; libhdf5 would allocate that much), -1 when libhdf5 fails.
int cnnb_h5_read_floats(int64_t file, const char *path, float *values);

#endif
