# Sourced by the bench scripts: median VALUE... prints the middle value (the upper middle
# of an even count), the statistic every benchmark here reports over its rounds.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
