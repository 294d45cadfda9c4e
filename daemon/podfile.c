/* podfile.c -- one file put into a container, as a tar built in memory. */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>

#include "daemon/podman.h"
#include "proto/util.h"

int
podman_container_put_file(struct podman *pm, const char *id, const char *dir,
    const char *name, const void *data, size_t len, int mode, char **cause)
{
	struct archive		*a = NULL;
	struct archive_entry	*e = NULL;
	size_t			 cap = len + 8192, used = 0;
	char			*buf;
	int			 rv = -1;

	buf = xmalloc(cap);
	if ((a = archive_write_new()) == NULL ||
	    (e = archive_entry_new()) == NULL ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_memory(a, buf, cap, &used) != ARCHIVE_OK) {
		*cause = xasprintf("%s: %s", name, a != NULL ?
		    archive_error_string(a) : "out of memory");
		goto out;
	}
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, (mode_t)mode);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, time(NULL), 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (len > 0 && archive_write_data(a, data, len) != (la_ssize_t)len) ||
	    archive_write_close(a) != ARCHIVE_OK) {
		*cause = xasprintf("%s: %s", name, archive_error_string(a));
		goto out;
	}
	rv = podman_container_put_archive(pm, id, dir, buf, used, cause);
out:
	if (e != NULL)
		archive_entry_free(e);
	if (a != NULL)
		archive_write_free(a);
	free(buf);
	return (rv);
}
