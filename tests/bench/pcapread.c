/*
 * pcapread.c: the benchmark's floor. Reads a capture with libpcap and
 * touches nothing but the packet count and length: no capture tool can
 * classify faster than it can read.
 */
#include <pcap/pcap.h>
#include <stdio.h>

int
main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned long long n = 0, bytes = 0, sum = 0;
	pcap_t *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: pcapread FILE\n");
		return 2;
	}
	if ((p = pcap_open_offline(argv[1], err)) == NULL) {
		fprintf(stderr, "pcapread: %s\n", err);
		return 1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		n++;
		bytes += h->len;
		sum += data[0];		/* the bytes are read, not only mapped */
	}
	pcap_close(p);
	printf("%llu packets, %llu bytes (%llu)\n", n, bytes, sum);
	return rc == -2 ? 0 : 1;
}
