// Registry names and references: what is accepted, what is refused and why.
#include <doctest/doctest.h>

#include "registry/reference.hpp"

using namespace slm::registry;

TEST_CASE("skill names, versions and aliases") {
    for (const char* ok : {"a", "skill.math.reasoner", "x_1-2.y", "a.b0"}) CHECK(is_skill_name(ok));
    for (const char* bad : {"", "A", "1abc", "a..b", "a.", ".a", "a/b", "../x", "a b", "a.-b", "a:b"})
        CHECK_FALSE(is_skill_name(bad));
    for (const char* ok : {"0.0.0", "1.2.3", "1.2.3-rc.1", "1.2.3+q8-0", "10.20.30-a.b+c.d"}) CHECK(is_version(ok));
    for (const char* bad : {"1", "1.2", "01.2.3", "1.2.3.4", "1.2.3-", "1.2.3+", "1.2.3-a..b", "v1.2.3", "1.2.x"})
        CHECK_FALSE(is_version(bad));
    CHECK(check_alias_name("champion").ok());
    CHECK(check_alias_name("blue_2-x").ok());
    CHECK(check_alias_name("latest").error().id == "registry.reserved_alias");
    CHECK(check_alias_name("a.b").error().id == "registry.bad_alias");
    CHECK(check_alias_name("").error().id == "registry.bad_alias");
    CHECK(check_alias_name(std::string(65, 'a')).error().id == "registry.bad_alias");
}

TEST_CASE("references parse into their kinds") {
    auto v = parse_reference("skill.x:1.2.0");
    REQUIRE(v.ok());
    CHECK(v->kind == Reference::Kind::version);
    CHECK(v->name == "skill.x");
    CHECK(v->value == "1.2.0");
    auto a = parse_reference("skill.x@champion");
    REQUIRE(a.ok());
    CHECK(a->kind == Reference::Kind::alias);
    auto d = parse_reference("skill.x@sha256:0123abcd");
    REQUIRE(d.ok());
    CHECK(d->kind == Reference::Kind::digest);
    CHECK(d->value == "sha256:0123abcd");
    CHECK(parse_reference("skill.x")->kind == Reference::Kind::name);
    CHECK(d->to_string() == "skill.x@sha256:0123abcd");
}

TEST_CASE("bad references are usage errors naming the bad part") {
    for (const char* bad : {"skill.x:1.2", "skill.x@sha256:abc", "skill.x@sha256:ABCDEF012", "skill.x@a.b",
                            "../etc:1.0.0", "a/b@champion", "Skill:1.0.0", ":1.0.0", "skill.x@", "skill.x:"}) {
        auto r = parse_reference(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == slm::ErrorCode::usage);
        CHECK(r.error().message.find(bad) != std::string::npos);
    }
    CHECK_FALSE(looks_like_reference("model.slm"));
    CHECK_FALSE(looks_like_reference("dir/model.slm"));
    CHECK(looks_like_reference("skill.x:1.0.0"));
}
