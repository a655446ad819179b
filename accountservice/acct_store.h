#ifndef DISCOVERY_ACCT_STORE_H
#define DISCOVERY_ACCT_STORE_H

#include <stddef.h>

/*
 * The accounts in LMDB: one environment per file per process, keys are
 * account ids, values the account as JSON {"id":"10000","name":"Person_0"}.
 * Safe to use from any number of threads at once (MDB_NOTLS: read
 * transactions are not tied to a thread). Several processes may open the
 * same file: LMDB's lock file coordinates their readers and writer.
 */
struct acct_store;

#define ACCT_STORE_SEED_COUNT 100
#define ACCT_STORE_FIRST_ID   10000
#define ACCT_STORE_NAME_MAX   128

enum acct_store_error {
	ACCT_STORE_NOT_FOUND = -1,
	ACCT_STORE_ERR_IO = -2,	  /* LMDB failed: see the log */
	ACCT_STORE_ERR_DATA = -3, /* a stored value is not an account */
};

/* Opens (creating when missing) the file and seeds an empty database with
 * ids 10000..10099 named Person_0..Person_99. NULL with a sentence in err. */
struct acct_store *acct_store_open(const char *path, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void acct_store_close(struct acct_store *s);

/* Copies the name of account `id` into name. 0, or a negative code. */
int acct_store_get_name(struct acct_store *s, const char *id, char *name, size_t namelen)
	__attribute__((warn_unused_result));

#endif
