/* SPDX-License-Identifier: Apache-2.0 */
/* bench/floor.c - the cold-start floor of this machine: the least a server can do before its
 * first 200 (listen, accept, read one request, write a fixed reply), built static like our
 * deployable. bench/coldstart.c timing it in the same run as genkit-c separates what the machine
 * charges for fork+exec+page faults (milliseconds on some VMs) from what our start-up adds.
 * Usage: PORT=N floor   (not part of the library; built by the bench scripts) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    const char *port = getenv("PORT");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_port = htons((unsigned short)atoi(port ? port : "8080"));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 128) != 0)
        return 1;
    static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    for (;;) {
        int c = accept(fd, NULL, NULL);
        char buf[4096];
        if (c < 0)
            continue;
        if (read(c, buf, sizeof(buf)) > 0 && write(c, reply, sizeof(reply) - 1) < 0)
            return 1;
        close(c);
    }
}
