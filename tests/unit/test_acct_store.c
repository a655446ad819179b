#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accountservice/acct_store.h"

struct paths {
	char dir[64];
	char db[96];
};

static int setup(void **state)
{
	struct paths *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -1;
	snprintf(p->dir, sizeof(p->dir), "/tmp/test-acct-store.XXXXXX");
	if (mkdtemp(p->dir) == NULL)
		return -1;
	snprintf(p->db, sizeof(p->db), "%s/accounts.db", p->dir);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct paths *p = *state;
	char lock[128];
	snprintf(lock, sizeof(lock), "%s-lock", p->db);
	unlink(lock);
	unlink(p->db);
	rmdir(p->dir);
	free(p);
	return 0;
}

static void acct_store_open_should_seed_an_empty_database(void **state)
{
	struct paths *p = *state;
	char err[256], name[ACCT_STORE_NAME_MAX];
	struct acct_store *s = acct_store_open(p->db, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(acct_store_get_name(s, "10000", name, sizeof(name)), 0);
	assert_string_equal(name, "Person_0");
	assert_int_equal(acct_store_get_name(s, "10042", name, sizeof(name)), 0);
	assert_string_equal(name, "Person_42");
	assert_int_equal(acct_store_get_name(s, "10099", name, sizeof(name)), 0);
	assert_string_equal(name, "Person_99");
	assert_int_equal(acct_store_get_name(s, "10100", name, sizeof(name)), ACCT_STORE_NOT_FOUND);
	assert_int_equal(acct_store_get_name(s, "9999", name, sizeof(name)), ACCT_STORE_NOT_FOUND);
	acct_store_close(s);
}

/* Puts one account by hand, as another writer of the file would. */
static void put_raw(const char *path, const char *key, const char *value)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {strlen(key), (void *)key}, v = {strlen(value), (void *)value};
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxreaders(env, 1024), 0);
	assert_int_equal(mdb_env_set_mapsize(env, 16u * 1024 * 1024), 0);
	assert_int_equal(mdb_env_open(env, path, MDB_NOSUBDIR, 0644), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void acct_store_open_should_not_reseed_a_database_with_accounts(void **state)
{
	struct paths *p = *state;
	char err[256], name[ACCT_STORE_NAME_MAX];
	struct acct_store *s;
	put_raw(p->db, "77", "{\"id\":\"77\",\"name\":\"Only\"}");
	s = acct_store_open(p->db, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(acct_store_get_name(s, "77", name, sizeof(name)), 0);
	assert_string_equal(name, "Only");
	assert_int_equal(acct_store_get_name(s, "10000", name, sizeof(name)), ACCT_STORE_NOT_FOUND);
	acct_store_close(s);
}

static void acct_store_get_name_should_reject_a_value_that_is_not_an_account(void **state)
{
	struct paths *p = *state;
	char err[256], name[ACCT_STORE_NAME_MAX];
	struct acct_store *s;
	put_raw(p->db, "1", "not json");
	s = acct_store_open(p->db, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(acct_store_get_name(s, "1", name, sizeof(name)), ACCT_STORE_ERR_DATA);
	acct_store_close(s);
}

static void acct_store_open_should_share_the_file_with_another_process(void **state)
{
	struct paths *p = *state;
	char err[256], name[ACCT_STORE_NAME_MAX];
	struct acct_store *s = acct_store_open(p->db, err, sizeof(err));
	int status = -1;
	pid_t pid;
	assert_non_null(s);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* A second process opens the same file while the first has it. */
		struct acct_store *other = acct_store_open(p->db, err, sizeof(err));
		int ok = other != NULL &&
			 acct_store_get_name(other, "10001", name, sizeof(name)) == 0 &&
			 strcmp(name, "Person_1") == 0;
		acct_store_close(other);
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(acct_store_get_name(s, "10001", name, sizeof(name)), 0);
	acct_store_close(s);
}

static void acct_store_open_should_fail_with_a_reason(void **state)
{
	char err[256] = "";
	(void)state;
	assert_null(acct_store_open("/nonexistent-dir/accounts.db", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-dir/accounts.db"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(acct_store_open_should_seed_an_empty_database,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			acct_store_open_should_not_reseed_a_database_with_accounts, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			acct_store_get_name_should_reject_a_value_that_is_not_an_account, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			acct_store_open_should_share_the_file_with_another_process, setup,
			teardown),
		cmocka_unit_test(acct_store_open_should_fail_with_a_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
