/*
 * wsp.h: small definitions shared by every proto/ module: roles and the
 * RFC 6455 opcodes (section 5.2).  Nothing here does I/O.
 */
#ifndef WSP_H
#define WSP_H

/* Which side of a connection a party is.  The frame decoder and the message
 * layer take the role of the *sender* of the bytes they judge, because the
 * masking rule depends on it (R6455-5.1-01, R6455-5.1-04). */
enum wsp_role {
	WSP_ROLE_ANY = 0, /* do not judge role-dependent rules */
	WSP_ROLE_CLIENT = 1,
	WSP_ROLE_SERVER = 2
};

/* Opcodes, RFC 6455 section 5.2.  3-7 and 0xB-0xF are reserved. */
enum wsp_opcode {
	WSP_OP_CONT = 0x0,
	WSP_OP_TEXT = 0x1,
	WSP_OP_BINARY = 0x2,
	WSP_OP_CLOSE = 0x8,
	WSP_OP_PING = 0x9,
	WSP_OP_PONG = 0xA
};

/* RSV bits as they sit in the first header byte, shifted down to 0..7:
 * RSV1 = 4, RSV2 = 2, RSV3 = 1. */
#define WSP_RSV1 4u
#define WSP_RSV2 2u
#define WSP_RSV3 1u

#define WSP_IS_CONTROL(op) (((op) & 0x8) != 0)
#define WSP_IS_RESERVED_OP(op) \
	(((op) >= 0x3 && (op) <= 0x7) || ((op) >= 0xB && (op) <= 0xF))

#endif
