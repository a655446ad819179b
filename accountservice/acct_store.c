#include "accountservice/acct_store.h"

#include <cjson/cJSON.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* A hundred small accounts fit in a few pages; leave room for many more. */
#define ACCT_STORE_MAP_SIZE (16u * 1024 * 1024)
/* Readers at once, across all processes sharing the file: one per request
 * being served, so well above the default 126. */
#define ACCT_STORE_MAX_READERS 1024
#define ACCT_STORE_VALUE_MAX   512

struct acct_store {
	MDB_env *env;
	MDB_dbi dbi;
};

static int store_seed(MDB_txn *txn, MDB_dbi dbi)
{
	for (int i = 0; i < ACCT_STORE_SEED_COUNT; i++) {
		char id[16], value[96];
		snprintf(id, sizeof(id), "%d", ACCT_STORE_FIRST_ID + i);
		snprintf(value, sizeof(value), "{\"id\":\"%s\",\"name\":\"Person_%d\"}", id, i);
		MDB_val k = {strlen(id), id}, v = {strlen(value), value};
		int rc = mdb_put(txn, dbi, &k, &v, 0);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Opens the unnamed database once, seeding it when empty. The emptiness
 * check and the seed share one write transaction, so two processes
 * starting together seed once. */
static int store_prepare(struct acct_store *s, int *seeded)
{
	MDB_txn *txn;
	MDB_stat st;
	int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (rc != 0)
		return rc;
	rc = mdb_dbi_open(txn, NULL, 0, &s->dbi);
	if (rc == 0)
		rc = mdb_stat(txn, s->dbi, &st);
	if (rc == 0 && st.ms_entries == 0) {
		rc = store_seed(txn, s->dbi);
		*seeded = 1;
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

struct acct_store *acct_store_open(const char *path, char *err, size_t errlen)
{
	struct acct_store *s = calloc(1, sizeof(*s));
	int seeded = 0;
	int rc;
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rc = mdb_env_create(&s->env);
	if (rc != 0)
		goto out_free;
	rc = mdb_env_set_mapsize(s->env, ACCT_STORE_MAP_SIZE);
	if (rc == 0)
		rc = mdb_env_set_maxreaders(s->env, ACCT_STORE_MAX_READERS);
	if (rc == 0)
		rc = mdb_env_open(s->env, path, MDB_NOSUBDIR | MDB_NOTLS, 0644);
	if (rc == 0)
		rc = store_prepare(s, &seeded);
	if (rc != 0)
		goto out_close_env;
	log_info("accounts store open path=%s seeded=%d", path, seeded);
	return s;

out_close_env:
	mdb_env_close(s->env);
out_free:
	snprintf(err, errlen, "cannot open accounts store %s: %s", path, mdb_strerror(rc));
	free(s);
	return NULL;
}

void acct_store_close(struct acct_store *s)
{
	if (s == NULL)
		return;
	mdb_env_close(s->env);
	free(s);
}

/* Extracts the name from a stored account outside the transaction. */
static int store_parse_name(const char *value, size_t len, char *name, size_t namelen)
{
	int result = ACCT_STORE_ERR_DATA;
	cJSON *root = cJSON_ParseWithLength(value, len);
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(root, "name");
	if (cJSON_IsString(n) && strlen(n->valuestring) < namelen) {
		memcpy(name, n->valuestring, strlen(n->valuestring) + 1);
		result = 0;
	}
	cJSON_Delete(root);
	return result;
}

int acct_store_get_name(struct acct_store *s, const char *id, char *name, size_t namelen)
{
	char value[ACCT_STORE_VALUE_MAX];
	size_t len;
	MDB_txn *txn;
	MDB_val k = {strlen(id), (void *)id}, v;
	int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
	if (rc != 0) {
		log_error("accounts store read failed: %s", mdb_strerror(rc));
		return ACCT_STORE_ERR_IO;
	}
	rc = mdb_get(txn, s->dbi, &k, &v);
	if (rc == MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return ACCT_STORE_NOT_FOUND;
	}
	if (rc != 0 || v.mv_size > sizeof(value)) {
		mdb_txn_abort(txn);
		log_error("accounts store read failed id=%s: %s", id,
			  rc != 0 ? mdb_strerror(rc) : "value too large");
		return rc != 0 ? ACCT_STORE_ERR_IO : ACCT_STORE_ERR_DATA;
	}
	/* v points into the map only until the transaction ends. */
	len = v.mv_size;
	memcpy(value, v.mv_data, len);
	mdb_txn_abort(txn);
	return store_parse_name(value, len, name, namelen);
}
