set multiplot layout 3,3 title 'linklab install against the system-call floor and cp (by file size)' noenhanced
set logscale xy
set key top left font ',8'
set format x '%.0s%c'
set xlabel 'bytes per file'
set ylabel 'seconds'
set title 'btrfs clone' noenhanced
plot 'results/reference/scaling/scaling-size.dat' index 0 using 1:2 with linespoints lw 2 title 'linklab', '' index 0 using 1:3 with lines dt 2 lw 2 title 'floor', '' index 0 using 1:4 with lines dt 3 lw 2 title 'cp'
set title 'btrfs copy' noenhanced
plot 'results/reference/scaling/scaling-size.dat' index 1 using 1:2 with linespoints lw 2 title 'linklab', '' index 1 using 1:3 with lines dt 2 lw 2 title 'floor', '' index 1 using 1:4 with lines dt 3 lw 2 title 'cp'
set title 'btrfs hardlink' noenhanced
plot 'results/reference/scaling/scaling-size.dat' index 2 using 1:2 with linespoints lw 2 title 'linklab', '' index 2 using 1:3 with lines dt 2 lw 2 title 'floor', '' index 2 using 1:4 with lines dt 3 lw 2 title 'cp'
set title 'btrfs-tmpfs copy' noenhanced
plot 'results/reference/scaling/scaling-size.dat' index 3 using 1:2 with linespoints lw 2 title 'linklab', '' index 3 using 1:3 with lines dt 2 lw 2 title 'floor', '' index 3 using 1:4 with lines dt 3 lw 2 title 'cp'
set title 'ext4 copy' noenhanced
plot 'results/reference/scaling/scaling-size.dat' index 4 using 1:2 with linespoints lw 2 title 'linklab', '' index 4 using 1:3 with lines dt 2 lw 2 title 'floor', '' index 4 using 1:4 with lines dt 3 lw 2 title 'cp'
set title 'ext4 hardlink' noenhanced
plot 'results/reference/scaling/scaling-size.dat' index 5 using 1:2 with linespoints lw 2 title 'linklab', '' index 5 using 1:3 with lines dt 2 lw 2 title 'floor', '' index 5 using 1:4 with lines dt 3 lw 2 title 'cp'
set title 'xfs clone' noenhanced
plot 'results/reference/scaling/scaling-size.dat' index 6 using 1:2 with linespoints lw 2 title 'linklab', '' index 6 using 1:3 with lines dt 2 lw 2 title 'floor', '' index 6 using 1:4 with lines dt 3 lw 2 title 'cp'
set title 'xfs copy' noenhanced
plot 'results/reference/scaling/scaling-size.dat' index 7 using 1:2 with linespoints lw 2 title 'linklab', '' index 7 using 1:3 with lines dt 2 lw 2 title 'floor', '' index 7 using 1:4 with lines dt 3 lw 2 title 'cp'
set title 'xfs hardlink' noenhanced
plot 'results/reference/scaling/scaling-size.dat' index 8 using 1:2 with linespoints lw 2 title 'linklab', '' index 8 using 1:3 with lines dt 2 lw 2 title 'floor', '' index 8 using 1:4 with lines dt 3 lw 2 title 'cp'
unset multiplot
