#!/usr/bin/perl
#
# make-test-mmdb.pl OUTDIR: writes OUTDIR/test-country.mmdb (database type
# GeoLite2-Country) and OUTDIR/test-asn.mmdb (GeoLite2-ASN), two small MaxMind
# DB files for the unit tests of classify/geo.c.
#
# Every network is a documentation or test range (RFC 5737, RFC 3849) and
# every AS number a private-use one (RFC 6996): nothing here is real-world
# data. Those ranges are reserved, so the writer must be told not to drop
# reserved networks. The trees are IPv6 with IPv4 networks under ::/96, as
# MaxMind's own are; libmaxminddb looks IPv4 addresses up there. The
# ::ffff:0:0/96 alias is written too, so an IPv4-mapped address looked up as
# IPv6 gives the same answer. OUTDIR/test-country-noalias.mmdb is the
# country database without that alias (IPv4 only under ::/96), to show that
# geo.c finds IPv4 addresses either way.
#
# Needs MaxMind::DB::Writer (Debian: libmaxmind-db-writer-perl, installed by
# deploy/install-deps.sh); exits 3 when it is missing, 2 on bad usage.
use strict;
use warnings;
use utf8;

BEGIN {
	if (!eval { require MaxMind::DB::Writer::Tree; 1 }) {
		print STDERR "make-test-mmdb.pl: Perl module "
		    . "MaxMind::DB::Writer::Tree not found (Debian package "
		    . "libmaxmind-db-writer-perl): run deploy/install-deps.sh\n";
		exit 3;
	}
}

my %types = (
	country			=> 'map',
	registered_country	=> 'map',
	names			=> 'map',
	iso_code		=> 'utf8_string',
	en			=> 'utf8_string',
	autonomous_system_number	=> 'uint32',
	autonomous_system_organization	=> 'utf8_string',
);

sub country {
	my ($iso, $name) = @_;
	return { iso_code => $iso, names => { en => $name } };
}

# Inserted in order; a more specific network inserted later overrides the
# part of the wider one it covers.
my @country = (
	[ '192.0.2.0/24', { country => country('NL', 'Netherlands'),
	    registered_country => country('NL', 'Netherlands') } ],
	[ '198.51.100.0/24', { country => country('US', 'United States'),
	    registered_country => country('US', 'United States') } ],
	[ '203.0.113.0/24', { country => country('JP', 'Japan'),
	    registered_country => country('JP', 'Japan') } ],
	[ '2001:db8::/32', { country => country('DE', 'Germany'),
	    registered_country => country('DE', 'Germany') } ],
	# Only the registered country is known (as for some anycast ranges).
	[ '2001:db8:ffff::/48', {
	    registered_country => country('SE', 'Sweden') } ],
);

my @asn = (
	[ '192.0.2.0/24', { autonomous_system_number => 64500,
	    autonomous_system_organization => 'Example Tor Hosting B.V.' } ],
	[ '198.51.100.0/24', { autonomous_system_number => 64501,
	    autonomous_system_organization => 'Example Pool Networks' } ],
	[ '203.0.113.0/24', { autonomous_system_number => 64502,
	    autonomous_system_organization => 'Exämple Ñet' } ],
	[ '2001:db8::/32', { autonomous_system_number => 64503,
	    autonomous_system_organization => 'Example IPv6 Transit GmbH' } ],
	# 62 ASCII bytes then a 2-byte character: a 63-byte field must cut
	# before the character, not inside it.
	[ '2001:db8:ffff::/48', { autonomous_system_number => 64504,
	    autonomous_system_organization => ('x' x 62) . 'é and more' } ],
);

sub write_db {
	my ($path, $type, $desc, $entries, $alias) = @_;
	my $tree = MaxMind::DB::Writer::Tree->new(
		ip_version		=> 6,
		record_size		=> 24,
		database_type		=> $type,
		languages		=> ['en'],
		description		=> { en => $desc },
		remove_reserved_networks => 0,
		alias_ipv6_to_ipv4	=> $alias,
		map_key_type_callback	=> sub { $types{ $_[0] } },
	);
	for my $e (@$entries) {
		$tree->insert_network($e->[0], $e->[1]);
	}
	my $tmp = "$path.tmp";
	open(my $fh, '>:raw', $tmp) or die "$tmp: $!\n";
	$tree->write_tree($fh);
	close($fh) or die "$tmp: $!\n";
	rename($tmp, $path) or die "$path: $!\n";
}

if (@ARGV != 1 || !-d $ARGV[0]) {
	print STDERR "usage: $0 OUTDIR (an existing directory)\n";
	exit 2;
}
my $dir = $ARGV[0];

my $desc = 'egressd test data: documentation ranges only';
write_db("$dir/test-country.mmdb", 'GeoLite2-Country', $desc, \@country, 1);
write_db("$dir/test-country-noalias.mmdb", 'GeoLite2-Country', $desc,
    \@country, 0);
write_db("$dir/test-asn.mmdb", 'GeoLite2-ASN', $desc, \@asn, 1);
