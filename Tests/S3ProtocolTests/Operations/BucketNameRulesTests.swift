import S3Protocol
import Testing

@Suite("BucketNameRules")
struct BucketNameRulesTests {
    @Test(
        "valid general purpose bucket names",
        arguments: [
            "abc", "docexamplebucket1", "log-delivery-march-2020", "my-hosted-content", "docexamplewebsite.com",
            "www.docexamplewebsite.com", "my.example.s3.bucket", "123", "a1b", "1.2.3", "1.2.3.4.5", "192.168.5.4a",
            String(repeating: "a", count: 63), "xn-a", "s3alias", "my-s3alias-bucket",
        ])
    func valid(name: String) {
        #expect(BucketNameRules.validate(name))
    }

    @Test(
        "invalid general purpose bucket names",
        arguments: [
            "", "ab", String(repeating: "a", count: 64), "doc_example_bucket", "DocExampleBucket",
            "doc-example-bucket-",
            "-docexample", ".docexample", "docexample.", "doc..example", "doc.-example", "doc-.example",
            "192.168.5.4", "10.0.0.1", "999.999.999.999", "xn--bucket", "sthree-bucket", "sthree-configurator-x",
            "amzn-s3-demo-bucket", "bucket-s3alias", "bucket--ol-s3", "bucket.mrap", "bucket--x-s3",
            "bucket--table-s3", "bück", "buc ket", "buc/ket", "bucket%", "bucket:80",
        ])
    func invalid(name: String) {
        #expect(!BucketNameRules.validate(name))
    }
}
