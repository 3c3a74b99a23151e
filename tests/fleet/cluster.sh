#!/bin/sh
# tests/fleet/cluster.sh DIR start|stop|kill N|restart N: a three-node
# NATS JetStream cluster on loopback, for the fleet tests. Each node has a
# config file and a store under DIR; client ports are 127.0.0.1:$PORT0+N
# (N = 1, 2, 3), cluster ports $PORT0+10+N. PORT0 defaults to 14220.
set -eu
dir=$1
cmd=$2
p0=${PORT0:-14220}

conf() {
	n=$1
	routes=""
	for m in 1 2 3; do
		[ "$m" = "$n" ] && continue
		routes="$routes nats-route://127.0.0.1:$((p0 + 10 + m))"
	done
	cat >"$dir/n$n.conf" <<EOC
server_name: egd-n$n
listen: 127.0.0.1:$((p0 + n))
jetstream { store_dir: "$dir/store$n" }
cluster {
  name: egd-test
  listen: 127.0.0.1:$((p0 + 10 + n))
  routes: [$(echo $routes | sed 's/ /, /g')]
}
EOC
}

start_node() {
	n=$1
	nats-server -c "$dir/n$n.conf" >>"$dir/n$n.log" 2>&1 &
	echo $! >"$dir/n$n.pid"
}

case "$cmd" in
start)
	mkdir -p "$dir"
	for n in 1 2 3; do conf "$n"; start_node "$n"; done
	# Up when every node answers its monitoring-free client port and the
	# cluster has a JetStream meta leader (the log says so).
	i=0
	until grep -q "JetStream cluster new metadata leader\|Self is new JetStream cluster metadata leader" "$dir"/n*.log 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 150 ] && { echo "cluster: no meta leader after 15 s" >&2; exit 1; }
		sleep 0.1
	done
	;;
kill)
	kill -9 "$(cat "$dir/n$3.pid")" 2>/dev/null || true
	;;
restart)
	start_node "$3"
	;;
stop)
	for n in 1 2 3; do
		[ -f "$dir/n$n.pid" ] && kill "$(cat "$dir/n$n.pid")" 2>/dev/null || true
	done
	sleep 0.5
	;;
*)
	echo "usage: $0 DIR start|stop|kill N|restart N" >&2
	exit 2
	;;
esac
