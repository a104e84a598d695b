/* commands.c — the one table of commands and options. The help text, the man
 * page and the dispatcher all read it. */
#include "cli.h"

static const cli_opt hash_opts[] = {
	{'a', "algo", "LIST",
	 "Hashes to compute, comma-separated: pdq, md5, sha1, sha256, or all. "
	 "Default: pdq."},
	{'d', "dihedral", NULL,
	 "Also print the PDQ hashes of the seven rotations and flips of each "
	 "image (computed from one transform, not by re-hashing)."},
	{256, "downsample", "512|none",
	 "PDQ flavour. none (the default) hashes the full-size image, as Meta's "
	 "Java code, the pdqhash binding, python-threatexchange and the "
	 "Hasher-Matcher-Actioner do. 512 first resizes an image with a side over "
	 "512 to 512x512 by nearest neighbour, as the C++ pdq-photo-hasher does. "
	 "The two agree for images of 512x512 or less and differ by a few bits "
	 "otherwise."},
	{'f', "format", "csv|jsonl",
	 "Output format. csv (the default): for PDQ alone, the reference tool's "
	 "'hash,quality,path' (with --dihedral a fourth column names the variant); "
	 "with other algorithms, 'algo,hash,quality,path,variant' lines. jsonl: "
	 "one JSON object per file with path, pdq, quality, dihedral, md5, sha1, "
	 "sha256 as selected."},
	{'j', "jobs", "N",
	 "Hash N files at once (default: the number of online CPUs). Output stays "
	 "in input order."},
	{257, "max-bytes", "N",
	 "Refuse files larger than N bytes (default 268435456)."},
	{258, "max-pixels", "N",
	 "Refuse images of more than N pixels before decoding them "
	 "(default 200000000)."},
	{259, "progress", NULL,
	 "Show a progress line on standard error even when it is not a terminal."},
	{260, "no-progress", NULL, "Never show the progress line."},
	{0, NULL, NULL, NULL},
};

const cli_cmd cli_commands[] = {
	{"hash", "[OPTIONS] FILE|DIR...",
	 "Compute PDQ perceptual hashes and MD5/SHA exact hashes of images.",
	 "Each FILE is hashed; each DIR is walked recursively in name order, "
	 "skipping hidden entries. Images may be JPEG (baseline, progressive, "
	 "CMYK), PNG (any colour type and depth), WebP, GIF (first frame), TIFF "
	 "(first page), BMP, HEIC or AVIF. PDQ is bit-exact with Meta's reference: "
	 "alpha is dropped without compositing and EXIF orientation is ignored, "
	 "as the reference does (use --dihedral to match rotated copies). A file "
	 "that cannot be read or decoded is reported on standard error and the "
	 "run goes on; the exit status is then 1.\n"
	 "Quality ranges 0..100; hashes of quality below 50 are unreliable and "
	 "are usually not matched.",
	 hash_opts, cmd_hash},
	{"version", "", "Print the version.", "Prints vigil's version.", NULL,
	 cmd_version},
	{"help", "[COMMAND] [--man]", "Describe the commands.",
	 "Without arguments, lists the commands; with a COMMAND, describes it; "
	 "with --man, writes the roff man page to standard output.",
	 NULL, cmd_help},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
