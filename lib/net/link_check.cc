// Linked with every object of sluice_net and sluice_wire and nothing of the loop: if the
// protocol core referred to a shard, a timer or a device call, this would not link.
int main() { return 0; }
