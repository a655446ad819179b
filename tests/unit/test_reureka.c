/*
 * Eureka's read API over a table with a fixed clock (registry/reureka.c,
 * reureka_json.c, reureka_xml.c).
 *
 * The expected documents follow what a real Eureka server sends, field by
 * field and in its order, with this table's values in place of theirs:
 * - XML: the /eureka/apps response captured from a Eureka server in
 *   Prometheus' discovery/eureka/client_test.go (TestFetchApps), which is
 *   what Netflix/eureka's Converters.java (ApplicationsConverter,
 *   InstanceInfoConverter, LeaseInfoConverter, MetadataConverter) writes
 *   through XStream's PrettyPrintWriter;
 * - JSON: what Netflix/eureka's EurekaJacksonCodec.java writes
 *   (ApplicationsSerializer, ApplicationSerializer, InstanceInfoSerializer
 *   with its @Auto fields as strings, DataCenterInfoSerializer), as in the
 *   /eureka/apps captures Steeltoe's Eureka client tests replay.
 * Their registration and renewal timestamps are used here as the clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/reureka.h"
#include "tests/unit/sub_fixture.h"

#define T0 INT64_C(1596003469304) /* registrationTimestamp of the capture */
#define T1 INT64_C(1596110179310) /* its lastRenewalTimestamp */

static int64_t wall;
static int64_t fake_wall(void)
{
	return wall;
}

static struct subscriber *new_table(void)
{
	return sub_new_with(fake_wall, 1, 0, 2);
}

static void put(struct subscriber *t, const char *service, const char *body)
{
	char key[128];
	struct token tok;
	int rc;

	snprintf(key, sizeof(key), "discovery.%s.up", service);
	assert_int_equal(token_decode(body, strlen(body), key, &tok), 0);
	rc = sub_store_apply(t->store, &tok, 1000);
	token_clear(&tok);
	subscriber__drain(t);
	assert_true(rc == SUB_STORE_JOINED || rc == SUB_STORE_UPDATED || rc == SUB_STORE_RENEWED ||
		    rc == SUB_STORE_LEFT);
}

#define SHOP1                                                                                 \
	"{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"port\":6767,\"instanceId\":\"shop-1\","  \
	"\"hostname\":\"h1\",\"healthUrl\":\"http://10.0.0.5:6767/health\",\"ttl\":30,"        \
	"\"metadata\":{\"zone\":\"eu<1>\",\"my_key\":\"a&b\"}}"

/* shop-1 joined at T0 and renewed at T1. */
static struct subscriber *shop_table(void)
{
	struct subscriber *t = new_table();

	wall = T0;
	put(t, "shop", SHOP1);
	wall = T1;
	put(t, "shop", SHOP1);
	return t;
}

static char *render(struct subscriber *t, enum rroute_eureka v, const char *app, bool json, int want)
{
	uint64_t index = 0;
	size_t len = 0;
	char *body = NULL;

	assert_int_equal(reureka_render(t, subscriber_data(t), v, app, json, &body, &len, &index), want);
	assert_true(index >= 1);
	if (body)
		assert_int_equal(strlen(body), len);
	return body;
}

static const char apps_xml[] =
	"<applications>\n"
	"  <versions__delta>1</versions__delta>\n"
	"  <apps__hashcode>UP_1_</apps__hashcode>\n"
	"  <application>\n"
	"    <name>SHOP</name>\n"
	"    <instance>\n"
	"      <instanceId>shop-1</instanceId>\n"
	"      <hostName>10.0.0.5</hostName>\n"
	"      <app>SHOP</app>\n"
	"      <ipAddr>10.0.0.5</ipAddr>\n"
	"      <status>UP</status>\n"
	"      <overriddenstatus>UNKNOWN</overriddenstatus>\n"
	"      <port enabled=\"true\">6767</port>\n"
	"      <securePort enabled=\"false\">443</securePort>\n"
	"      <countryId>1</countryId>\n"
	"      <dataCenterInfo class=\"com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo\">\n"
	"        <name>MyOwn</name>\n"
	"      </dataCenterInfo>\n"
	"      <leaseInfo>\n"
	"        <renewalIntervalInSecs>10</renewalIntervalInSecs>\n"
	"        <durationInSecs>30</durationInSecs>\n"
	"        <registrationTimestamp>1596003469304</registrationTimestamp>\n"
	"        <lastRenewalTimestamp>1596110179310</lastRenewalTimestamp>\n"
	"        <evictionTimestamp>0</evictionTimestamp>\n"
	"        <serviceUpTimestamp>1596003469304</serviceUpTimestamp>\n"
	"      </leaseInfo>\n"
	"      <metadata>\n"
	"        <zone>eu&lt;1&gt;</zone>\n"
	"        <my__key>a&amp;b</my__key>\n"
	"      </metadata>\n"
	"      <homePageUrl>http://10.0.0.5:6767/</homePageUrl>\n"
	"      <healthCheckUrl>http://10.0.0.5:6767/health</healthCheckUrl>\n"
	"      <vipAddress>shop</vipAddress>\n"
	"      <secureVipAddress>shop</secureVipAddress>\n"
	"      <isCoordinatingDiscoveryServer>false</isCoordinatingDiscoveryServer>\n"
	"      <lastUpdatedTimestamp>1596003469304</lastUpdatedTimestamp>\n"
	"      <lastDirtyTimestamp>1596003469304</lastDirtyTimestamp>\n"
	"      <actionType>ADDED</actionType>\n"
	"    </instance>\n"
	"  </application>\n"
	"</applications>";

static const char apps_json[] =
	"{\"applications\":{\"versions__delta\":\"1\",\"apps__hashcode\":\"UP_1_\","
	"\"application\":[{\"name\":\"SHOP\",\"instance\":[{"
	"\"instanceId\":\"shop-1\",\"hostName\":\"10.0.0.5\",\"app\":\"SHOP\","
	"\"ipAddr\":\"10.0.0.5\",\"status\":\"UP\",\"overriddenStatus\":\"UNKNOWN\","
	"\"port\":{\"$\":6767,\"@enabled\":\"true\"},"
	"\"securePort\":{\"$\":443,\"@enabled\":\"false\"},\"countryId\":1,"
	"\"dataCenterInfo\":{\"@class\":\"com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo\","
	"\"name\":\"MyOwn\"},"
	"\"leaseInfo\":{\"renewalIntervalInSecs\":10,\"durationInSecs\":30,"
	"\"registrationTimestamp\":1596003469304,\"lastRenewalTimestamp\":1596110179310,"
	"\"evictionTimestamp\":0,\"serviceUpTimestamp\":1596003469304},"
	"\"metadata\":{\"zone\":\"eu<1>\",\"my_key\":\"a&b\"},"
	"\"homePageUrl\":\"http://10.0.0.5:6767/\","
	"\"healthCheckUrl\":\"http://10.0.0.5:6767/health\","
	"\"vipAddress\":\"shop\",\"secureVipAddress\":\"shop\","
	"\"isCoordinatingDiscoveryServer\":\"false\","
	"\"lastUpdatedTimestamp\":\"1596003469304\",\"lastDirtyTimestamp\":\"1596003469304\","
	"\"actionType\":\"ADDED\"}]}]}}";

static void reureka_render_should_write_apps_as_eurekas_xml(void **state)
{
	struct subscriber *t = shop_table();
	char *xml = render(t, RROUTE_EUREKA_APPS, NULL, false, 0);
	(void)state;

	assert_string_equal(xml, apps_xml);
	free(xml);
	sub_free(t);
}

static void reureka_render_should_write_apps_as_eurekas_json(void **state)
{
	struct subscriber *t = shop_table();
	char *json = render(t, RROUTE_EUREKA_APPS, NULL, true, 0);
	(void)state;

	assert_string_equal(json, apps_json);
	free(json);
	sub_free(t);
}

/* The <application> block of the listing, each line two spaces less. */
static void application_block(char *out, size_t outlen)
{
	const char *p = strstr(apps_xml, "  <application>\n");
	const char *end = strstr(apps_xml, "  </application>") + strlen("  </application>");
	size_t n = 0;

	assert_non_null(p);
	while (p < end && n + 1 < outlen) {
		p += 2; /* every line of the block starts with two spaces */
		while (p < end && *p != '\n' && n + 1 < outlen)
			out[n++] = *p++;
		if (p < end)
			out[n++] = *p++;
	}
	out[n] = '\0';
}

static void reureka_render_should_write_one_app_and_refuse_an_unknown_one(void **state)
{
	struct subscriber *t = shop_table();
	char *json = render(t, RROUTE_EUREKA_APP, "shop", true, 0);
	char *xml = render(t, RROUTE_EUREKA_APP, "shop", false, 0);
	const char *app = strstr(apps_json, "{\"name\":\"SHOP\"");
	char block[sizeof(apps_xml)], one[sizeof(apps_json)];
	(void)state;

	/* {"application":{…}}: the listing's object at the root. */
	snprintf(one, sizeof(one), "{\"application\":%.*s}", (int)(strlen(app) - 3), app);
	assert_string_equal(json, one);
	application_block(block, sizeof(block));
	assert_string_equal(xml, block);
	free(json);
	free(xml);
	assert_null(render(t, RROUTE_EUREKA_APP, "cart", true, 1));
	assert_null(render(t, RROUTE_EUREKA_APP, "cart", false, 1));
	sub_free(t);
}

/* Eureka's hash code counts every status present, by status name. */
static void reureka_render_should_count_statuses_by_name_in_the_hashcode(void **state)
{
	struct subscriber *t = new_table();
	char *json;
	(void)state;

	wall = T0;
	put(t, "b", "{\"state\":\"UP\",\"address\":\"10.0.0.1\",\"port\":1}");
	put(t, "b", "{\"state\":\"UP\",\"address\":\"10.0.0.2\",\"port\":1}");
	put(t, "a", "{\"state\":\"STARTING\",\"address\":\"10.0.0.3\"}");
	put(t, "c", "{\"state\":\"OUT_OF_SERVICE\",\"address\":\"10.0.0.4\",\"port\":1}");
	json = render(t, RROUTE_EUREKA_APPS, NULL, true, 0);
	assert_non_null(strstr(json, "\"apps__hashcode\":\"OUT_OF_SERVICE_1_STARTING_1_UP_2_\""));
	/* Applications by name; one without a port has it disabled at 0. */
	assert_true(strstr(json, "\"name\":\"A\"") < strstr(json, "\"name\":\"B\""));
	assert_non_null(strstr(json, "\"port\":{\"$\":0,\"@enabled\":\"false\"}"));
	assert_non_null(strstr(json, "\"metadata\":{\"@class\":\"java.util.Collections$EmptyMap\"}"));
	free(json);
	sub_free(t);
}

/* The action types of a delta, as the instance of each id is listed. */
static void delta_actions(struct subscriber *t, char *out, size_t outlen)
{
	char *xml = render(t, RROUTE_EUREKA_DELTA, NULL, false, 0);
	const char *p = xml;
	size_t n = 0;

	out[0] = '\0';
	while ((p = strstr(p, "<instanceId>")) != NULL) {
		const char *id = p + strlen("<instanceId>");
		const char *action = strstr(id, "<actionType>") + strlen("<actionType>");

		n += (size_t)snprintf(out + n, outlen - n, "%.*s=%.*s ",
				      (int)(strchr(id, '<') - id), id,
				      (int)(strchr(action, '<') - action), action);
		p = action;
	}
	free(xml);
}

static void reureka_render_should_list_the_last_3_minutes_in_the_delta(void **state)
{
	struct subscriber *t = new_table();
	char actions[256], *json;
	(void)state;

	wall = T0;
	put(t, "shop", "{\"state\":\"UP\",\"address\":\"10.0.0.1\",\"instanceId\":\"old\"}");
	put(t, "shop", "{\"state\":\"UP\",\"address\":\"10.0.0.2\",\"instanceId\":\"mod\"}");
	put(t, "shop", "{\"state\":\"UP\",\"address\":\"10.0.0.3\",\"instanceId\":\"gone\"}");
	put(t, "shop", "{\"state\":\"UP\",\"address\":\"10.0.0.4\",\"instanceId\":\"back\"}");
	delta_actions(t, actions, sizeof(actions));
	assert_string_equal(actions, "back=ADDED gone=ADDED mod=ADDED old=ADDED ");

	wall = T0 + 4 * 60000; /* past the window: only what happens now */
	put(t, "shop", "{\"state\":\"DOWN\",\"address\":\"10.0.0.3\",\"instanceId\":\"gone\"}");
	put(t, "shop", "{\"state\":\"STARTING\",\"address\":\"10.0.0.2\",\"instanceId\":\"mod\"}");
	put(t, "shop", "{\"state\":\"UP\",\"address\":\"10.0.0.5\",\"instanceId\":\"new\"}");
	put(t, "shop", "{\"state\":\"DOWN\",\"address\":\"10.0.0.4\",\"instanceId\":\"back\"}");
	put(t, "shop", "{\"state\":\"UP\",\"address\":\"10.0.0.4\",\"instanceId\":\"back\"}");
	/* One that left and came back is listed, not deleted. */
	delta_actions(t, actions, sizeof(actions));
	assert_string_equal(actions, "back=ADDED gone=DELETED mod=MODIFIED new=ADDED ");
	json = render(t, RROUTE_EUREKA_DELTA, NULL, true, 0);
	/* The hash code is the whole table's; the version moves with it. */
	assert_non_null(strstr(json, "\"apps__hashcode\":\"STARTING_1_UP_3_\""));
	assert_null(strstr(json, "\"versions__delta\":\"1\""));
	/* The departed one carries when it left. */
	assert_non_null(strstr(json, "\"evictionTimestamp\":1596003709304"));
	free(json);

	wall = T0 + 8 * 60000;
	delta_actions(t, actions, sizeof(actions));
	assert_string_equal(actions, "");
	sub_free(t);
}

static void rfeed_stats_should_count_departures_forgotten_early(void **state)
{
	struct subscriber *t = new_table(); /* max_departures 2 */
	struct rfeed_stats st;
	char actions[256];
	(void)state;

	wall = T0;
	put(t, "s", "{\"state\":\"UP\",\"address\":\"10.0.0.1\",\"instanceId\":\"a\"}");
	put(t, "s", "{\"state\":\"UP\",\"address\":\"10.0.0.2\",\"instanceId\":\"b\"}");
	put(t, "s", "{\"state\":\"UP\",\"address\":\"10.0.0.3\",\"instanceId\":\"c\"}");
	put(t, "s", "{\"state\":\"DOWN\",\"address\":\"10.0.0.1\",\"instanceId\":\"a\"}");
	put(t, "s", "{\"state\":\"DOWN\",\"address\":\"10.0.0.2\",\"instanceId\":\"b\"}");
	put(t, "s", "{\"state\":\"DOWN\",\"address\":\"10.0.0.3\",\"instanceId\":\"c\"}");
	rfeed_stats(subscriber_data(t), &st);
	assert_int_equal(st.departures, 2);
	assert_int_equal(st.departures_evicted, 1);
	delta_actions(t, actions, sizeof(actions));
	assert_string_equal(actions, "b=DELETED c=DELETED ");
	sub_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reureka_render_should_write_apps_as_eurekas_xml),
		cmocka_unit_test(reureka_render_should_write_apps_as_eurekas_json),
		cmocka_unit_test(reureka_render_should_write_one_app_and_refuse_an_unknown_one),
		cmocka_unit_test(reureka_render_should_count_statuses_by_name_in_the_hashcode),
		cmocka_unit_test(reureka_render_should_list_the_last_3_minutes_in_the_delta),
		cmocka_unit_test(rfeed_stats_should_count_departures_forgotten_early),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
