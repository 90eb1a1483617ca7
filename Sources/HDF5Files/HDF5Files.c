#include "HDF5Files.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <hdf5.h>

static void quiet(void) {
    // HDF5 prints its error stack to stderr by default; cnnb reports errors itself.
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/// A unique name for a file that lives in memory: HDF5 takes two open files of one name for the same file.
static void memory_name(char *name, size_t size) {
    static unsigned long made = 0;
    snprintf(name, size, "cnnb-memory-%lu.h5", ++made);
}

int64_t cnnb_h5_create_in_memory(void) {
    quiet();
    char name[64];
    memory_name(name, sizeof name);
    hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    if (access < 0) return -1;
    hid_t file = -1;
    // The core driver without a backing store: the file is never written anywhere.
    if (H5Pset_fapl_core(access, 64 * 1024, 0) >= 0) {
        file = H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, access);
    }
    H5Pclose(access);
    return file;
}

long long cnnb_h5_file_image(int64_t file, void *buffer, size_t size) {
    if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) return -1;
    return (long long)H5Fget_file_image(file, buffer, size);
}

int64_t cnnb_h5_open(const char *path) {
    quiet();
    return H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
}

int64_t cnnb_h5_open_image(const void *bytes, size_t size) {
    quiet();
    // The core driver reads the file from memory (HDF5 copies the bytes); no backing store, so
    // nothing is ever written.
    char name[64];
    memory_name(name, sizeof name);
    hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    if (access < 0) return -1;
    hid_t file = -1;
    if (size > 0 && H5Pset_fapl_core(access, 64 * 1024, 0) >= 0 && H5Pset_file_image(access, (void *)bytes, size) >= 0) {
        file = H5Fopen(name, H5F_ACC_RDONLY, access);
    }
    H5Pclose(access);
    return file;
}

int cnnb_h5_close(int64_t file) { return H5Fclose(file); }

// Whether libhdf5 reads `set` as floats without allocating far more than its values: numbers
// (float or integer) of at most 8 bytes, in chunks (if chunked) of at most 256 MB. A damaged file
// can declare a 4 GB number or chunk, which libhdf5 allocates a conversion buffer for.
static int cnnb_h5_numbers_readable(hid_t set) {
    hid_t type = H5Dget_type(set);
    if (type < 0) return 0;
    const H5T_class_t kind = H5Tget_class(type);
    const size_t size = H5Tget_size(type);
    H5Tclose(type);
    if ((kind != H5T_FLOAT && kind != H5T_INTEGER) || size == 0 || size > 8) return 0;
    hid_t creation = H5Dget_create_plist(set);
    if (creation < 0) return 0;
    int readable = 1;
    if (H5Pget_layout(creation) == H5D_CHUNKED) {
        hsize_t chunk[H5S_MAX_RANK];
        const int rank = H5Pget_chunk(creation, H5S_MAX_RANK, chunk);
        double bytes = (double)size;
        for (int i = 0; i < rank; i++) bytes *= (double)chunk[i];
        if (rank < 0 || bytes > (double)(256 << 20)) readable = 0;
    }
    H5Pclose(creation);
    return readable;
}

// Reads every dataset of up to 256 MB and looks every link up by name, as a weights reader does.
static herr_t probe_link(hid_t group, const char *name, const H5L_info_t *info, void *data) {
    (void)info; (void)data;
    if (H5Lexists(group, name, H5P_DEFAULT) <= 0) return 0;
    H5O_info_t object;
    if (H5Oget_info_by_name2(group, name, &object, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return 0;
    if (object.type == H5O_TYPE_GROUP) {
        hid_t inner = H5Gopen2(group, name, H5P_DEFAULT);
        if (inner >= 0) {
            hsize_t index = 0;
            H5Literate(inner, H5_INDEX_NAME, H5_ITER_NATIVE, &index, probe_link, NULL);
            H5Gclose(inner);
        }
    } else if (object.type == H5O_TYPE_DATASET) {
        hid_t set = H5Dopen2(group, name, H5P_DEFAULT);
        if (set < 0) return 0;
        hid_t space = H5Dget_space(set);
        hssize_t count = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
        if (count > 0 && count <= (64 << 20) && cnnb_h5_numbers_readable(set)) {
            float *values = malloc((size_t)count * sizeof(float));
            if (values) {
                H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
                free(values);
            }
        }
        if (space >= 0) H5Sclose(space);
        H5Dclose(set);
    }
    return 0;
}

int cnnb_h5_survives_reading(const char *path, const void *bytes, size_t size) {
    fflush(NULL);
    pid_t child = fork();
    if (child < 0) return 1;  // no process to spare: read as before
    if (child == 0) {
        // Only this thread exists here: HDF5 and malloc, nothing of the parent's runtime. A
        // crash ends the child quietly; the parent reports it as a damaged file.
        int signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
        for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) signal(signals[i], SIG_DFL);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, STDERR_FILENO);
        alarm(20);
        int64_t file = path ? cnnb_h5_open(path) : cnnb_h5_open_image(bytes, size);
        if (file >= 0) {
            hsize_t index = 0;
            H5Literate(file, H5_INDEX_NAME, H5_ITER_NATIVE, &index, probe_link, NULL);
            H5Fclose(file);
        }
        _exit(0);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) return 1;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int cnnb_h5_make_group(int64_t file, const char *path) {
    hid_t group = H5Gcreate2(file, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (group < 0) return -1;
    return H5Gclose(group);
}

int cnnb_h5_set_string_attribute(int64_t file, const char *path, const char *name, const char *value) {
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attribute = H5Acreate_by_name(file, path, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int status = -1;
    if (attribute >= 0) {
        status = H5Awrite(attribute, type, &value);
        H5Aclose(attribute);
    }
    H5Sclose(space);
    H5Tclose(type);
    return status;
}

int cnnb_h5_write_floats(int64_t file, const char *path, int rank, const uint64_t *dimensions, const float *values) {
    hsize_t dims[8];
    if (rank < 0 || rank > 8) return -1;
    for (int i = 0; i < rank; i++) dims[i] = dimensions[i];
    hid_t space = H5Screate_simple(rank, dims, NULL);
    if (space < 0) return -1;
    hid_t dataset = H5Dcreate2(file, path, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int status = -1;
    if (dataset >= 0) {
        status = H5Dwrite(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
        H5Dclose(dataset);
    }
    H5Sclose(space);
    return status;
}

int cnnb_h5_exists(int64_t file, const char *path) {
    // H5Lexists needs each parent to exist: walk the path one component at a time.
    char partial[1024];
    size_t length = strlen(path);
    if (length >= sizeof partial) return 0;
    for (size_t i = 1; i <= length; i++) {
        if (i == length || path[i] == '/') {
            memcpy(partial, path, i);
            partial[i] = 0;
            if (H5Lexists(file, partial, H5P_DEFAULT) <= 0) return 0;
        }
    }
    return 1;
}

int cnnb_h5_dataset_shape(int64_t file, const char *path, uint64_t *dimensions) {
    hid_t dataset = H5Dopen2(file, path, H5P_DEFAULT);
    if (dataset < 0) return -1;
    hid_t space = H5Dget_space(dataset);
    int rank = H5Sget_simple_extent_ndims(space);
    hsize_t dims[8];
    if (rank >= 0 && rank <= 8) {
        H5Sget_simple_extent_dims(space, dims, NULL);
        for (int i = 0; i < rank; i++) dimensions[i] = dims[i];
    } else {
        rank = -1;
    }
    H5Sclose(space);
    H5Dclose(dataset);
    return rank;
}

int cnnb_h5_read_floats(int64_t file, const char *path, float *values) {
    hid_t dataset = H5Dopen2(file, path, H5P_DEFAULT);
    if (dataset < 0) return -1;
    if (!cnnb_h5_numbers_readable(dataset)) {
        H5Dclose(dataset);
        return -2;
    }
    int status = H5Dread(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    H5Dclose(dataset);
    return status;
}
