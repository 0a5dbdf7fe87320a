/* SPDX-License-Identifier: Apache-2.0 */
/* deploy/static/curl_stubs.c - stand-ins for the Kerberos (GSS-API), LDAP and RTMP entry points
 * that Debian's static libcurl references but that have no static libraries. genkit-c restricts
 * every transfer to CURLOPT_PROTOCOLS_STR "http,https" (src/runtime/http_client.c) and never asks
 * for Negotiate/GSS authentication, so none of these is ever reached; each fails safely (an error
 * status, NULL, or nothing) should that ever change. Linked only into `make static` binaries:
 * the real libraries win in every dynamic build. The argument lists are left open on purpose:
 * the linker matches names, and no caller gets past curl's protocol check.
 * Regenerate the list after a curl upgrade from the link errors of `make static`. */
#include <stddef.h>

#define GSS_S_FAILURE 0xd0000u /* GSS_S_FAILURE in the routine-error field */
#define LDAP_UNAVAILABLE (-1)  /* any non-zero result is a failure to libcurl */

/* An OID pointer libcurl passes to gss_import_name. */
void *GSS_C_NT_HOSTBASED_SERVICE = NULL;

unsigned int gss_delete_sec_context();
unsigned int gss_delete_sec_context() { return GSS_S_FAILURE; }

unsigned int gss_display_name();
unsigned int gss_display_name() { return GSS_S_FAILURE; }

unsigned int gss_display_status();
unsigned int gss_display_status() { return GSS_S_FAILURE; }

unsigned int gss_import_name();
unsigned int gss_import_name() { return GSS_S_FAILURE; }

unsigned int gss_init_sec_context();
unsigned int gss_init_sec_context() { return GSS_S_FAILURE; }

unsigned int gss_inquire_context();
unsigned int gss_inquire_context() { return GSS_S_FAILURE; }

unsigned int gss_release_buffer();
unsigned int gss_release_buffer() { return GSS_S_FAILURE; }

unsigned int gss_release_name();
unsigned int gss_release_name() { return GSS_S_FAILURE; }

unsigned int gss_unwrap();
unsigned int gss_unwrap() { return GSS_S_FAILURE; }

unsigned int gss_wrap();
unsigned int gss_wrap() { return GSS_S_FAILURE; }

void *RTMP_Alloc();
void *RTMP_Alloc() { return NULL; }

void *ldap_err2string();
void *ldap_err2string() { return NULL; }

void *ldap_get_attribute_ber();
void *ldap_get_attribute_ber() { return NULL; }

void *ldap_get_dn_ber();
void *ldap_get_dn_ber() { return NULL; }

void RTMP_Close();
void RTMP_Close() {}

void RTMP_Free();
void RTMP_Free() {}

void RTMP_Init();
void RTMP_Init() {}

void RTMP_SetBufferMS();
void RTMP_SetBufferMS() {}

void ldap_free_urldesc();
void ldap_free_urldesc() {}

void ldap_memfree();
void ldap_memfree() {}

void ber_bvfree();
void ber_bvfree() {}

void ber_free();
void ber_free() {}

void ber_memfree();
void ber_memfree() {}

void ber_memvfree();
void ber_memvfree() {}

int RTMP_Connect1();
int RTMP_Connect1() { return 0; } /* RTMP: 0 is failure */

int RTMP_ConnectStream();
int RTMP_ConnectStream() { return 0; } /* RTMP: 0 is failure */

int RTMP_Read();
int RTMP_Read() { return 0; } /* RTMP: 0 is failure */

int RTMP_SetupURL();
int RTMP_SetupURL() { return 0; } /* RTMP: 0 is failure */

int RTMP_Write();
int RTMP_Write() { return 0; } /* RTMP: 0 is failure */

int ldap_abandon_ext();
int ldap_abandon_ext() { return LDAP_UNAVAILABLE; }

int ldap_get_option();
int ldap_get_option() { return LDAP_UNAVAILABLE; }

int ldap_init_fd();
int ldap_init_fd() { return LDAP_UNAVAILABLE; }

int ldap_msgfree();
int ldap_msgfree() { return LDAP_UNAVAILABLE; }

int ldap_msgtype();
int ldap_msgtype() { return LDAP_UNAVAILABLE; }

int ldap_parse_result();
int ldap_parse_result() { return LDAP_UNAVAILABLE; }

int ldap_parse_sasl_bind_result();
int ldap_parse_sasl_bind_result() { return LDAP_UNAVAILABLE; }

int ldap_pvt_url_scheme2proto();
int ldap_pvt_url_scheme2proto() { return LDAP_UNAVAILABLE; }

int ldap_result();
int ldap_result() { return LDAP_UNAVAILABLE; }

int ldap_sasl_bind();
int ldap_sasl_bind() { return LDAP_UNAVAILABLE; }

int ldap_search_ext();
int ldap_search_ext() { return LDAP_UNAVAILABLE; }

int ldap_set_option();
int ldap_set_option() { return LDAP_UNAVAILABLE; }

int ldap_start_tls();
int ldap_start_tls() { return LDAP_UNAVAILABLE; }

int ldap_unbind_ext();
int ldap_unbind_ext() { return LDAP_UNAVAILABLE; }

int ldap_url_parse();
int ldap_url_parse() { return LDAP_UNAVAILABLE; }

int ber_sockbuf_add_io();
int ber_sockbuf_add_io() { return LDAP_UNAVAILABLE; }
