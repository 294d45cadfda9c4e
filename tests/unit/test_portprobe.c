/* test_portprobe.c -- unit tests of the /proc TCP table reader. */

#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daemon/portprobe.h"

static const char tcp[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
    "retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 "
    "00000000  1001        0 4600117 1 00000000ec1439fa 100 0 0 10 0\n"
    "   1: 0100007F:A1B2 0100007F:1F90 01 00000000:00000000 00:00000000 "
    "00000000  1001        0 4600118 1 00000000ec1439fb 20 4 30 10 -1\n";

static const char tcp6[] =
    "  sl  local_address                         remote_address         "
    "               st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
    "   0: 00000000000000000000000000000000:1F90 0000000000000000000000"
    "0000000000:0000 0A 00000000:00000000 00:00000000 00000000  1001    "
    "    0 4600361 1 00000000c3386851 100 0 0 10 0";	/* no final \n */

Test(scan, listening_ports_only)
{
	cr_assert_eq(portprobe_scan(tcp, strlen(tcp), 3306), 1);
	/* Only a connection from port 41394 to 8080: nothing listens. */
	cr_assert_eq(portprobe_scan(tcp, strlen(tcp), 0xA1B2), 0);
	cr_assert_eq(portprobe_scan(tcp, strlen(tcp), 8080), 0);
	cr_assert_eq(portprobe_scan(tcp6, strlen(tcp6), 8080), 1);
	cr_assert_eq(portprobe_scan(tcp6, strlen(tcp6), 3306), 0);
	cr_assert_eq(portprobe_scan("", 0, 80), 0);
	cr_assert_eq(portprobe_scan("garbage\n\n: :\n", 14, 80), 0);
}

Test(live, this_process)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	char			*cause = NULL;
	int			 fd, listening = -1, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	cr_assert_eq(portprobe_listening(getpid(), port, &listening, &cause),
	    0, "%s", cause);
	cr_assert_eq(listening, 0, "bound, not listening yet");
	cr_assert_eq(listen(fd, 1), 0);
	cr_assert_eq(portprobe_listening(getpid(), port, &listening, &cause),
	    0, "%s", cause);
	cr_assert_eq(listening, 1);
	close(fd);
}

Test(live, a_process_that_is_gone)
{
	char	*cause = NULL;
	int	 listening = -1;

	/* Beyond pid_max: no such process, so nothing listens. */
	cr_assert_eq(portprobe_listening(1 << 30, 80, &listening, &cause), 0);
	cr_assert_eq(listening, 0);
}
